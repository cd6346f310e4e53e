//! Favorites service integration tests: real handlers, API Gateway REST events, real MongoDB
//! (SecantusDB), Redis (the authorizer's revocations) and LocalStack (secrets, SQS), a fresh
//! database per test. Movies are known to the service only through its consumer: every test
//! movie arrives as a `movie.created` delivered to `favorites-on-movie-change`'s adapter.

mod common;

mod cache;
mod consumer;
mod isolation;
mod routes;
