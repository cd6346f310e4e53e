"""The sagas' end-to-end duration through the running local stack (bench.sh, section 1b).

One hop is an event from a commit to the consumer that acts on it (outbox flush -> SNS -> SQS ->
the gateway's poller -> the function). Measured here:
  - register -> welcome email: one hop (user.registered -> notifications-on-user-event);
  - DELETE /users/me -> "account deleted" email: three hops (user.deleted -> the three
    participants, in parallel; their replies -> users-on-deletion-step; user.deletion_completed
    -> notifications-on-user-event), for a user with a favorite, a rating and a comment;
  - DELETE /movies/{id} -> the fan's "favorite movie removed" email: four hops (movie.deleted ->
    the three participants; their replies -> movies-on-deletion-step, which removes the media and
    the movie; movie.deletion_completed -> favorites-on-movie-deletion, which stages one
    favorite.movie_removed per fan; that -> notifications-on-favorite-alert), for a movie with a
    subtitle, a fan's favorite, a rating and a comment.
Each run N times (BENCH_SAGA_RUNS, 5); prints median and max against the goal (<= 5 s per
deletion) and the cost per hop. Usage: bench_saga.py API_BASE (http://127.0.0.1:3000).
"""
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
import uuid

BASE = sys.argv[1].rstrip("/")
RUNS = int(__import__("os").environ.get("BENCH_SAGA_RUNS", "5"))
PASSWORD = "Bench1234"
ADMIN = ("admin@streamia.local", __import__("os").environ.get("STREAMIA_ADMIN_PASSWORD", "StreamiaAdmin1!"))


def call(method, path, body=None, token=None):
    req = urllib.request.Request(BASE + path, method=method,
                                 data=json.dumps(body).encode() if body is not None else None)
    req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=15) as res:
            return res.status, json.loads(res.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def wait_mail(to, subject, since, limit=30.0):
    while time.monotonic() - since < limit:
        _, mails = call("GET", "/_local/mail")
        if any(m["to"] == to and m["subject"] == subject for m in mails or []):
            return time.monotonic() - since
        time.sleep(0.02)
    return None


def retry(fn, limit=20.0):
    start = time.monotonic()
    while True:
        status, body = fn()
        if status != 404 or time.monotonic() - start > limit:
            return status, body
        time.sleep(0.25)


def engage(movie, token):
    """The user favorites, rates and comments on `movie` (each retried while the service has
    no copy of it yet)."""
    for method, path, body in [("POST", "/api/v1/favorites", {"movieId": movie, "note": "bench"}),
                               ("PUT", f"/api/v1/ratings/{movie}", {"score": 4}),
                               ("POST", "/api/v1/comments", {"movieId": movie, "text": "bench"})]:
        status, out = retry(lambda: call(method, path, body, token))
        assert status in (200, 201), (path, status, out)


def main():
    _, page = call("GET", "/api/v1/movies?limit=1&sort=title")
    movie = page["data"]["items"][0]["id"]
    welcome, deletion = [], []
    for _ in range(RUNS):
        n = uuid.uuid4().hex[:10]
        email = f"saga{n}@example.com"
        start = time.monotonic()
        status, reg = call("POST", "/api/v1/auth/register", {"username": f"saga{n}", "email": email, "password": PASSWORD})
        assert status == 201, reg
        took = wait_mail(email, "Welcome to Streamia!", start)
        assert took is not None, "no welcome email"
        welcome.append(took)
        token = reg["data"]["accessToken"]
        engage(movie, token)
        start = time.monotonic()
        status, out = call("DELETE", "/api/v1/users/me", {"password": PASSWORD}, token)
        assert status == 202, out
        took = wait_mail(email, "Your Streamia account was deleted", start)
        assert took is not None, "no account-deleted email within 30 s"
        deletion.append(took)
    movies = movie_deletions()
    med_w, med_d, med_m = statistics.median(welcome), statistics.median(deletion), statistics.median(movies)
    print("%-46s median %5.2f s  max %5.2f s  (%d runs; one hop)" % ("register -> welcome email", med_w, max(welcome), RUNS))
    for name, runs, med, hops in [("DELETE /users/me -> account-deleted email", deletion, med_d, 3),
                                  ("DELETE /movies/{id} -> the fan's alert email", movies, med_m, 4)]:
        print("%-46s median %5.2f s  max %5.2f s  (%d runs; %d hops, %.2f s per hop)   goal <= 5 s: %s" % (
            name, med, max(runs), RUNS, hops, med / hops,
            "met" if max(runs) <= 5 else "MISSED: %.2f s over" % (max(runs) - 5)))


def movie_deletions():
    """Each run: an admin creates a movie with a subtitle; a fan favorites, rates and comments on
    it; the admin deletes it; timed from the DELETE to the fan's alert email."""
    status, login = call("POST", "/api/v1/auth/login", {"email": ADMIN[0], "password": ADMIN[1]})
    assert status == 200, login
    admin = login["data"]["accessToken"]
    took_all = []
    for _ in range(RUNS):
        n = uuid.uuid4().hex[:10]
        title = f"Bench farewell {n}"
        status, created = call("POST", "/api/v1/movies", {"title": title, "category": "bench", "duration": 3600}, admin)
        assert status == 201, created
        movie = created["data"]["id"]
        status, sub = call("POST", f"/api/v1/movies/{movie}/subtitles",
                           {"language": "en", "label": "English", "format": "vtt",
                            "content": "WEBVTT\n\n00:01.000 --> 00:02.000\nHello\n"}, admin)
        assert status == 201, sub
        email = f"fan{n}@example.com"
        status, reg = call("POST", "/api/v1/auth/register", {"username": f"fan{n}", "email": email, "password": PASSWORD})
        assert status == 201, reg
        token = reg["data"]["accessToken"]
        engage(movie, token)
        start = time.monotonic()
        status, out = call("DELETE", f"/api/v1/movies/{movie}", None, admin)
        assert status == 202, out
        took = wait_mail(email, f"A movie in your favorites left Streamia: {title}", start)
        assert took is not None, "no alert email within 30 s"
        took_all.append(took)
    return took_all


main()
