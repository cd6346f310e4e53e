//! `GET /docs/`: the API reference page (`infra/docs/build.sh` builds the folder: Swagger UI
//! and `infra/openapi.yaml`), served from that folder as the static site it deploys as.
//!
//! Only the files the build writes are served, by name: no path from a request ever reaches
//! the file system.

use std::path::Path;

use axum::body::Body;
use axum::http::{Response, StatusCode};

/// The page's files and their content types.
const FILES: [(&str, &str); 5] = [
    ("index.html", "text/html; charset=utf-8"),
    ("start.js", "text/javascript; charset=utf-8"),
    ("swagger-ui-bundle.js", "text/javascript; charset=utf-8"),
    ("swagger-ui.css", "text/css; charset=utf-8"),
    ("openapi.yaml", "application/yaml; charset=utf-8"),
];

/// The answer to `GET path` (`/docs` or under `/docs/`) from `dir`; `None` for any other
/// path (the API's routes go on).
pub async fn serve(dir: &Path, path: &str) -> Option<Response<Body>> {
    let rest = path.strip_prefix("/docs")?;
    let name = match rest {
        // The page's relative links need the folder's trailing slash.
        "" => {
            return Some(
                Response::builder()
                    .status(StatusCode::MOVED_PERMANENTLY)
                    .header("location", "/docs/")
                    .body(Body::empty())
                    .unwrap_or_default(),
            )
        }
        "/" => "index.html",
        other => other.strip_prefix('/')?,
    };
    let Some((file, content_type)) = FILES.iter().find(|(f, _)| *f == name) else {
        return Some(not_found());
    };
    match tokio::fs::read(dir.join(file)).await {
        Ok(bytes) => Some(
            Response::builder()
                .status(StatusCode::OK)
                .header("content-type", *content_type)
                .header("x-content-type-options", "nosniff")
                .header("cache-control", "no-cache")
                .body(Body::from(bytes))
                .unwrap_or_default(),
        ),
        Err(_) => Some(not_found()),
    }
}

fn not_found() -> Response<Body> {
    Response::builder()
        .status(StatusCode::NOT_FOUND)
        .header("content-type", "text/plain; charset=utf-8")
        .body(Body::from(
            "not found: the reference page has no such file\n",
        ))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A built folder of this test's own, and a file beside the page's.
    fn folder() -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("docs-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        for (file, _) in FILES {
            std::fs::write(dir.join(file), file).unwrap();
        }
        std::fs::write(dir.join("secret.txt"), "no").unwrap();
        dir
    }

    #[tokio::test]
    async fn serves_the_pages_files_by_name_and_nothing_else() {
        let dir = folder();
        let page = serve(&dir, "/docs/").await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
        assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
        let spec = serve(&dir, "/docs/openapi.yaml").await.unwrap();
        assert_eq!(
            spec.headers()["content-type"],
            "application/yaml; charset=utf-8"
        );
        assert_eq!(
            serve(&dir, "/docs").await.unwrap().headers()["location"],
            "/docs/"
        );
        for path in [
            "/docs/secret.txt",
            "/docs/../Cargo.toml",
            "/docs/%2e%2e/x",
            "/docs/a/index.html",
        ] {
            assert_eq!(
                serve(&dir, path).await.unwrap().status(),
                StatusCode::NOT_FOUND,
                "{path}"
            );
        }
        assert!(serve(&dir, "/api/v1/health").await.is_none());
        assert!(serve(&dir, "/docsx").await.is_none(), "another path");
    }
}
