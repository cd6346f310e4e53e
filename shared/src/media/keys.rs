//! Storage keys: built by the backend, and parsed strictly when a client hands one back
//! (`POST /movies/{id}/video {key}`), so a client can only name an object under its own
//! movie's prefix, of a known format, and never a URL.

use std::fmt;

/// The video formats the contract accepts, each with its content type and extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoFormat {
    /// `video/mp4`.
    Mp4,
    /// `video/quicktime`.
    Mov,
    /// `video/x-msvideo`.
    Avi,
    /// `video/x-matroska`.
    Mkv,
    /// `video/webm`.
    Webm,
}

impl VideoFormat {
    /// Every format, for messages listing what is allowed.
    pub const ALL: [VideoFormat; 5] = [Self::Mp4, Self::Mov, Self::Avi, Self::Mkv, Self::Webm];

    /// The content type the upload is pinned to.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Mp4 => "video/mp4",
            Self::Mov => "video/quicktime",
            Self::Avi => "video/x-msvideo",
            Self::Mkv => "video/x-matroska",
            Self::Webm => "video/webm",
        }
    }

    /// The key's extension, and Cloudinary's name of the format (`allowed_formats`, `format`).
    pub fn extension(self) -> &'static str {
        match self {
            Self::Mp4 => "mp4",
            Self::Mov => "mov",
            Self::Avi => "avi",
            Self::Mkv => "mkv",
            Self::Webm => "webm",
        }
    }

    /// The format of a content type (exactly as the contract lists it, lower-case).
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.content_type() == content_type)
    }

    /// The format of a key's extension.
    pub fn from_extension(ext: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.extension() == ext)
    }
}

/// Where every key of a movie lives: `movies/<24 hex id>/`.
fn movie_prefix(movie_id: &str) -> Option<String> {
    let valid = movie_id.len() == 24 && movie_id.bytes().all(|b| b.is_ascii_hexdigit());
    valid.then(|| format!("movies/{}/", movie_id.to_ascii_lowercase()))
}

/// A video's key: `movies/<movie id>/video/<random 32 hex>.<ext>`. A new upload gets a new
/// key, so a replaced video's old object can be deleted after the new one is recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VideoKey {
    key: String,
    format: VideoFormat,
}

impl VideoKey {
    /// A fresh key for an upload of `format` to the movie `movie_id` (24 hex digits; `None`
    /// otherwise).
    pub fn new(movie_id: &str, format: VideoFormat) -> Option<Self> {
        let prefix = movie_prefix(movie_id)?;
        let name = uuid::Uuid::new_v4().simple().to_string();
        Some(Self {
            key: format!("{prefix}video/{name}.{}", format.extension()),
            format,
        })
    }

    /// The key a client sent back, accepted only when it is one [`VideoKey::new`] could have
    /// made for this movie.
    pub fn parse(movie_id: &str, key: &str) -> Option<Self> {
        let rest = key.strip_prefix(&movie_prefix(movie_id)?)?;
        let (name, ext) = rest.strip_prefix("video/")?.split_once('.')?;
        let format = VideoFormat::from_extension(ext)?;
        let valid =
            name.len() == 32 && name.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        valid.then(|| Self {
            key: key.to_owned(),
            format,
        })
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.key
    }

    /// The key without its extension (Cloudinary's `public_id` of a video).
    pub fn stem(&self) -> &str {
        self.key
            .rsplit_once('.')
            .map(|(stem, _)| stem)
            .unwrap_or(&self.key)
    }

    /// The format the upload was signed for.
    pub fn format(&self) -> VideoFormat {
        self.format
    }
}

impl fmt::Display for VideoKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key)
    }
}

/// A subtitle's key: `movies/<movie id>/subtitles/<language>/<random 32 hex>.vtt`. Every
/// upload gets a new key, so replacing a language's track never overwrites an object a viewer
/// may be loading, and the old one is deleted once the new one is listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubtitleKey(String);

impl SubtitleKey {
    /// A fresh key for `language`'s subtitle of movie `movie_id`; `None` when the id is not 24
    /// hex digits or the language holds anything but ASCII letters, digits and `-` (1-35 of
    /// them).
    pub fn new(movie_id: &str, language: &str) -> Option<Self> {
        let prefix = movie_prefix(movie_id)?;
        let valid = (1..=35).contains(&language.len())
            && language
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let name = uuid::Uuid::new_v4().simple();
        valid.then(|| Self(format!("{prefix}subtitles/{language}/{name}.vtt")))
    }

    /// The key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SubtitleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// S3's bucket naming rules (3-63 of lower-case letters, digits, `.` and `-`, starting and
/// ending with a letter or digit), so a typo fails the cold start instead of every upload.
pub(crate) fn valid_bucket_name(name: &str) -> bool {
    let bytes = name.as_bytes();
    (3..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MOVIE: &str = "65f0a1b2c3d4e5f60718293a";

    #[test]
    fn a_new_video_key_parses_back_only_for_its_movie() {
        let key = VideoKey::new(MOVIE, VideoFormat::Webm).unwrap();
        assert!(key
            .as_str()
            .starts_with("movies/65f0a1b2c3d4e5f60718293a/video/"));
        assert!(key.as_str().ends_with(".webm"));
        assert_eq!(VideoKey::parse(MOVIE, key.as_str()), Some(key.clone()));
        assert_eq!(
            VideoKey::parse("65f0a1b2c3d4e5f60718293b", key.as_str()),
            None
        );
        assert_eq!(key.stem(), key.as_str().trim_end_matches(".webm"));
    }

    #[test]
    fn keys_a_client_could_forge_are_refused() {
        let name = "0123456789abcdef0123456789abcdef";
        let ok = format!("movies/{MOVIE}/video/{name}.mp4");
        assert!(VideoKey::parse(MOVIE, &ok).is_some());
        for bad in [
            format!("movies/{MOVIE}/video/{name}.exe"),
            format!("movies/{MOVIE}/video/../other/{name}.mp4"),
            format!("movies/{MOVIE}/subtitles/{name}.mp4"),
            format!("movies/{MOVIE}/video/{name}.mp4.mp4"),
            format!("movies/{MOVIE}/video/{}.mp4", &name[1..]),
            format!("movies/{MOVIE}/video/{}.mp4", name.to_uppercase()),
            format!("https://evil.example/movies/{MOVIE}/video/{name}.mp4"),
            format!("/movies/{MOVIE}/video/{name}.mp4"),
        ] {
            assert_eq!(VideoKey::parse(MOVIE, &bad), None, "{bad}");
        }
        assert_eq!(VideoKey::parse("not-an-id", &ok), None);
    }

    #[test]
    fn formats_map_both_ways() {
        for f in VideoFormat::ALL {
            assert_eq!(VideoFormat::from_content_type(f.content_type()), Some(f));
            assert_eq!(VideoFormat::from_extension(f.extension()), Some(f));
        }
        assert_eq!(VideoFormat::from_content_type("text/html"), None);
        assert_eq!(VideoFormat::from_content_type("VIDEO/MP4"), None);
    }

    #[test]
    fn subtitle_keys_take_only_safe_languages() {
        let key = SubtitleKey::new(MOVIE, "en-US").unwrap();
        let name = key
            .as_str()
            .strip_prefix(&format!("movies/{MOVIE}/subtitles/en-US/"))
            .and_then(|rest| rest.strip_suffix(".vtt"))
            .unwrap();
        assert!(name.len() == 32 && name.bytes().all(|b| b.is_ascii_hexdigit()));
        assert_ne!(SubtitleKey::new(MOVIE, "en-US").unwrap(), key);
        for bad in ["", "../x", "en/US", "es.vtt", "a b"] {
            assert_eq!(SubtitleKey::new(MOVIE, bad), None, "{bad}");
        }
    }

    #[test]
    fn bucket_names_follow_s3_rules() {
        assert!(valid_bucket_name("streamia-media-123"));
        for bad in ["ab", "Upper", "-start", "end-", "has_underscore"] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }
}
