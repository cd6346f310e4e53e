"""Gives the benchmark's user 20 favorites (what bench.sh's GET /favorites?limit=20 reads): the
first 20 visible movies of the catalog, after the administrator has added bench movies
(`Bench movie NN`, category `bench`, once: they stay for the next runs) when the catalog holds
fewer than 20 (the sample catalog has 12). Each add is retried while the favorites service has
no copy of the movie yet (404 MOVIE_NOT_FOUND: its movie.created is on its way).

Usage: python3 bench_favorites.py API_BASE USER_TOKEN ADMIN_EMAIL ADMIN_PASSWORD
(API_BASE like http://127.0.0.1:3000/api/v1). Prints how many favorites the user has.
"""

import sys
import time

from seed_movies import call

WANTED = 20


def visible_ids(api):
    status, body = call("GET", f"{api}/movies?limit=100")
    if status != 200:
        raise SystemExit(f"GET /movies failed ({status}): {body}")
    return [movie["id"] for movie in body["data"]["items"]]


def main():
    api, token, email, password = sys.argv[1:5]
    ids = visible_ids(api)
    if len(ids) < WANTED:
        status, body = call("POST", f"{api}/auth/login", {"email": email, "password": password})
        if status != 200:
            raise SystemExit(f"admin login failed ({status}): {body}")
        admin = body["data"]["accessToken"]
        for n in range(WANTED - len(ids)):
            movie = {"title": f"Bench movie {n + 1:02d}", "category": "bench", "duration": 5400,
                     "coverImage": f"https://picsum.photos/seed/bench{n + 1}/400/600"}
            status, body = call("POST", f"{api}/movies", movie, admin)
            if status != 201:
                raise SystemExit(f"POST /movies {movie['title']!r} failed ({status}): {body}")
        ids = visible_ids(api)
    for movie_id in ids[:WANTED]:
        deadline = time.monotonic() + 15
        while True:
            status, body = call("POST", f"{api}/favorites", {"movieId": movie_id, "note": "bench"}, token)
            if status in (201, 409):
                break
            if status != 404 or time.monotonic() > deadline:
                raise SystemExit(f"POST /favorites {movie_id} failed ({status}): {body}")
            time.sleep(0.25)
    status, body = call("GET", f"{api}/favorites?limit=100", token=token)
    if status != 200:
        raise SystemExit(f"GET /favorites failed ({status}): {body}")
    print(f"{body['data']['total']} favorites")


if __name__ == "__main__":
    main()
