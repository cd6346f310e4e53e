"""Seeds the local stack's catalog with the sample movies of infra/local/seed/movies.json, through
the API as an administrator would (POST /api/v1/movies), once: a movie whose exact title is
already listed is not added again, so running it on every start adds nothing twice.

Usage: python3 seed_movies.py API_BASE ADMIN_EMAIL ADMIN_PASSWORD
(API_BASE like http://127.0.0.1:3000/api/v1). Prints how many it added.

Subtitles of the sample movies: added by the subtitles part of the movies service (TODO there:
POST /movies/{id}/subtitles for each seeded movie); nothing here yet.
"""

import json
import pathlib
import sys
import urllib.error
import urllib.parse
import urllib.request


def call(method, url, body=None, token=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method)
    request.add_header("content-type", "application/json")
    if token:
        request.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def listed(api, title):
    """Whether a visible movie has exactly this title (the search is a literal substring)."""
    query = urllib.parse.urlencode({"search": title, "limit": "100"})
    status, body = call("GET", f"{api}/movies?{query}")
    if status != 200:
        raise SystemExit(f"GET /movies failed ({status}): {body}")
    return any(movie["title"] == title for movie in body["data"]["items"])


def main():
    api, email, password = sys.argv[1:4]
    status, body = call("POST", f"{api}/auth/login", {"email": email, "password": password})
    if status != 200:
        raise SystemExit(f"admin login failed ({status}): {body}")
    token = body["data"]["accessToken"]
    movies = json.loads((pathlib.Path(__file__).parent / "seed" / "movies.json").read_text())
    added = 0
    for movie in movies:
        if listed(api, movie["title"]):
            continue
        status, body = call("POST", f"{api}/movies", movie, token)
        if status != 201:
            raise SystemExit(f"POST /movies {movie['title']!r} failed ({status}): {body}")
        added += 1
    print(f"{added} of {len(movies)} sample movies added ({len(movies) - added} were there)")


if __name__ == "__main__":
    main()
