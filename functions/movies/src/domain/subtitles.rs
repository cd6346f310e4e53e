//! Subtitles: a WebVTT or SRT text, validated cue by cue and stored as WebVTT (what a browser's
//! `<track>` plays).
//!
//! Both formats are read the same way: a byte-order mark is dropped, Windows (`\r\n`) and old
//! Mac (`\r`) line ends become `\n`, and blocks are separated by blank lines. Every cue's
//! timing must be well formed (WebVTT `[hh:]mm:ss.ttt`, SRT `hh:mm:ss,ttt`), end after it
//! starts, and start no earlier than the previous cue ends (cues in order, no overlap). The
//! first problem is reported with its line number in the text the client sent (1-based), in
//! the reader's language. The result is written anew from the parsed cues (`WEBVTT`, then
//! each cue's identifier, timing and text lines), so what is stored is exactly what was
//! checked; WebVTT `NOTE`, `STYLE` and `REGION` blocks are left out.

use std::fmt::Write;

use streamia_shared::domain::Invalid;
use streamia_shared::i18n::{Msg, Text};

/// The largest subtitle text accepted (the contract's 512 KB), in bytes of UTF-8.
pub const MAX_SUBTITLE_BYTES: usize = 512 * 1024;

/// What a client says its text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubtitleFormat {
    /// WebVTT.
    Vtt,
    /// SubRip.
    Srt,
}

impl SubtitleFormat {
    /// Every value, as the body spells it.
    pub const VALUES: [&'static str; 2] = ["vtt", "srt"];

    /// `vtt` or `srt`, exactly.
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw {
            "vtt" => Ok(Self::Vtt),
            "srt" => Ok(Self::Srt),
            _ => Err(Text::new(Msg::FieldOneOf)
                .arg("values", Self::VALUES.join(", "))
                .into()),
        }
    }
}

/// A validated WebVTT text, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebVtt(String);

impl WebVtt {
    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// How many cues it holds.
    pub fn cue_count(&self) -> usize {
        self.0.matches(" --> ").count()
    }
}

/// One cue as read.
struct Cue<'a> {
    id: Option<&'a str>,
    start: u64,
    end: u64,
    settings: &'a str,
    text: Vec<&'a str>,
}

/// The first problem, at a line of the client's text.
fn at(line: usize, msg: Msg) -> Invalid {
    Text::new(msg).arg("line", line).into()
}

/// Reads `content` as `format`: the WebVTT to store, or the first problem with its line.
pub fn parse(format: SubtitleFormat, content: &str) -> Result<WebVtt, Invalid> {
    if content.len() > MAX_SUBTITLE_BYTES {
        return Err(Text::new(Msg::SubtitleTooLarge)
            .arg("max", MAX_SUBTITLE_BYTES / 1024)
            .into());
    }
    let text = content.strip_prefix('\u{FEFF}').unwrap_or(content);
    let normalized = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalized.split('\n').collect();
    let cues = match format {
        SubtitleFormat::Vtt => vtt_cues(&lines)?,
        SubtitleFormat::Srt => srt_cues(&lines)?,
    };
    if cues.is_empty() {
        return Err(Msg::SubtitleNoCues.into());
    }
    let mut out = String::from("WEBVTT\n");
    for cue in &cues {
        out.push('\n');
        if let Some(id) = cue.id {
            out.push_str(id);
            out.push('\n');
        }
        let _ = write!(out, "{} --> {}", vtt_time(cue.start), vtt_time(cue.end));
        if !cue.settings.is_empty() {
            out.push(' ');
            out.push_str(cue.settings);
        }
        out.push('\n');
        for line in &cue.text {
            out.push_str(line);
            out.push('\n');
        }
    }
    Ok(WebVtt(out))
}

/// Blocks of non-blank lines, each with the 1-based number of its first line.
fn blocks<'a>(lines: &[&'a str], from: usize) -> Vec<(usize, Vec<&'a str>)> {
    let mut out: Vec<(usize, Vec<&str>)> = Vec::new();
    let mut current: Option<(usize, Vec<&str>)> = None;
    for (i, line) in lines.iter().enumerate().skip(from) {
        if line.trim().is_empty() {
            out.extend(current.take());
        } else {
            current
                .get_or_insert_with(|| (i + 1, Vec::new()))
                .1
                .push(line);
        }
    }
    out.extend(current);
    out
}

/// Checks one cue against the previous one and keeps it.
fn push_cue<'a>(cues: &mut Vec<Cue<'a>>, cue: Cue<'a>, timing_line: usize) -> Result<(), Invalid> {
    if cue.end <= cue.start {
        return Err(at(timing_line, Msg::SubtitleEndBeforeStart));
    }
    if let Some(previous) = cues.last() {
        if cue.start < previous.end {
            return Err(at(timing_line, Msg::SubtitleOverlap));
        }
    }
    cues.push(cue);
    Ok(())
}

/// The cue text: every line, none of which may be a timing line (a missing blank line).
fn cue_text<'a>(lines: &[&'a str], first_line: usize) -> Result<Vec<&'a str>, Invalid> {
    for (i, line) in lines.iter().enumerate() {
        if line.contains("-->") {
            return Err(at(first_line + i, Msg::SubtitleMissingBlank));
        }
    }
    Ok(lines.to_vec())
}

fn vtt_cues<'a>(lines: &[&'a str]) -> Result<Vec<Cue<'a>>, Invalid> {
    let header = lines.first().copied().unwrap_or_default();
    let valid_header = header == "WEBVTT"
        || header
            .strip_prefix("WEBVTT")
            .is_some_and(|rest| rest.starts_with([' ', '\t']));
    if !valid_header {
        return Err(at(1, Msg::SubtitleHeader));
    }
    let mut cues = Vec::new();
    // The header block (WEBVTT and any metadata lines right under it) is not a cue.
    let mut all = blocks(lines, 0).into_iter();
    all.next();
    for (first, block) in all {
        let head = block[0];
        let is_keyword = |word: &str| {
            head == word
                || head
                    .strip_prefix(word)
                    .is_some_and(|rest| rest.starts_with([' ', '\t']))
        };
        if is_keyword("NOTE") || is_keyword("STYLE") || is_keyword("REGION") {
            continue;
        }
        let (id, timing_index) = match head.contains("-->") {
            true => (None, 0),
            false => (Some(head), 1),
        };
        let timing_line = first + timing_index;
        let timing = block
            .get(timing_index)
            .ok_or_else(|| at(timing_line, Msg::SubtitleTiming))?;
        let (start, end, settings) = timing_of(timing, parse_vtt_time)
            .ok_or_else(|| at(timing_line, Msg::SubtitleTiming))?;
        let text = cue_text(&block[timing_index + 1..], timing_line + 1)?;
        push_cue(
            &mut cues,
            Cue {
                id,
                start,
                end,
                settings,
                text,
            },
            timing_line,
        )?;
    }
    Ok(cues)
}

fn srt_cues<'a>(lines: &[&'a str]) -> Result<Vec<Cue<'a>>, Invalid> {
    let mut cues = Vec::new();
    for (first, block) in blocks(lines, 0) {
        let index = block[0].trim();
        if index.is_empty() || !index.bytes().all(|b| b.is_ascii_digit()) {
            return Err(at(first, Msg::SubtitleIndex));
        }
        let timing_line = first + 1;
        let timing = block
            .get(1)
            .ok_or_else(|| at(timing_line, Msg::SubtitleTiming))?;
        // SRT's optional coordinates after the timing (X1:.. Y2:..) have no WebVTT meaning.
        let (start, end, _) = timing_of(timing, parse_srt_time)
            .ok_or_else(|| at(timing_line, Msg::SubtitleTiming))?;
        let text = cue_text(&block[2..], timing_line + 1)?;
        push_cue(
            &mut cues,
            Cue {
                id: Some(index),
                start,
                end,
                settings: "",
                text,
            },
            timing_line,
        )?;
    }
    Ok(cues)
}

/// `start --> end[ settings]`: both times in milliseconds, and what follows the end time.
fn timing_of(line: &str, time: fn(&str) -> Option<u64>) -> Option<(u64, u64, &str)> {
    let (start, rest) = line.split_once("-->")?;
    let start = time(start.trim())?;
    let rest = rest.trim_start();
    let (end, settings) = match rest.find([' ', '\t']) {
        Some(i) => (&rest[..i], rest[i..].trim()),
        None => (rest.trim_end(), ""),
    };
    Some((start, time(end)?, settings))
}

/// `digits` of exactly `len` ASCII digits (or at least `len` when `at_least`).
fn number(digits: &str, len: usize, at_least: bool) -> Option<u64> {
    let ok = match at_least {
        true => digits.len() >= len,
        false => digits.len() == len,
    };
    (ok && digits.bytes().all(|b| b.is_ascii_digit()))
        .then(|| digits.parse().ok())
        .flatten()
}

/// `h..:mm:ss` + `sep` + `ttt` (hours optional when `hours_optional`), in milliseconds;
/// minutes and seconds 00-59.
fn clock(raw: &str, sep: &[char], hours_optional: bool) -> Option<u64> {
    let (hms, millis) = raw.split_once(sep)?;
    let millis = number(millis, 3, false)?;
    let parts: Vec<&str> = hms.split(':').collect();
    let (hours, minutes, seconds) = match parts.as_slice() {
        [h, m, s] => (number(h, 2, true)?, *m, *s),
        [m, s] if hours_optional => (0, *m, *s),
        _ => return None,
    };
    let minutes = number(minutes, 2, false).filter(|m| *m < 60)?;
    let seconds = number(seconds, 2, false).filter(|s| *s < 60)?;
    hours
        .checked_mul(3_600_000)?
        .checked_add(minutes * 60_000 + seconds * 1000 + millis)
}

fn parse_vtt_time(raw: &str) -> Option<u64> {
    clock(raw, &['.'], true)
}

/// SRT writes `hh:mm:ss,ttt`; a `.` is accepted too (common in files from the wild).
fn parse_srt_time(raw: &str) -> Option<u64> {
    clock(raw, &[',', '.'], false)
}

/// `hh:mm:ss.ttt`.
fn vtt_time(ms: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use streamia_shared::i18n::Lang;

    fn error(format: SubtitleFormat, text: &str) -> String {
        parse(format, text).unwrap_err().0.render(Lang::En)
    }

    #[test]
    fn srt_with_a_bom_windows_line_ends_and_multi_line_cues_becomes_webvtt() {
        let srt = "\u{FEFF}1\r\n00:00:01,000 --> 00:00:04,500\r\nHello,\r\nworld!\r\n\r\n\
                   2\r\n00:00:05,000 --> 00:01:02,003 X1:10 X2:20 Y1:5 Y2:9\r\n<i>Second</i>\r\n\r\n\r\n\
                   3\r\n01:59:59,999 --> 02:00:00,000\r\nLast\r\n";
        let vtt = parse(SubtitleFormat::Srt, srt).unwrap();
        assert_eq!(
            vtt.as_str(),
            "WEBVTT\n\n1\n00:00:01.000 --> 00:00:04.500\nHello,\nworld!\n\n\
             2\n00:00:05.000 --> 00:01:02.003\n<i>Second</i>\n\n\
             3\n01:59:59.999 --> 02:00:00.000\nLast\n"
        );
        assert_eq!(vtt.cue_count(), 3);
        // What was converted reads back as valid WebVTT, unchanged.
        assert_eq!(parse(SubtitleFormat::Vtt, vtt.as_str()).unwrap(), vtt);
    }

    #[test]
    fn webvtt_keeps_ids_settings_and_text_and_drops_notes() {
        let vtt = "WEBVTT - a film\nKind: captions\n\nNOTE made by hand\nsecond note line\n\n\
                   STYLE\n::cue { color: yellow }\n\n\
                   intro\n00:01.000 --> 00:04.000 line:0 position:20%\n- Hi\n- Hello\n\n\
                   00:00:04.000 --> 00:00:05.000\n\n";
        let out = parse(SubtitleFormat::Vtt, vtt).unwrap();
        assert_eq!(
            out.as_str(),
            "WEBVTT\n\nintro\n00:00:01.000 --> 00:00:04.000 line:0 position:20%\n- Hi\n- Hello\n\n\
             00:00:04.000 --> 00:00:05.000\n"
        );
    }

    #[test]
    fn malformed_timestamps_are_refused_with_their_line() {
        let srt = "1\n00:00:01,000 --> 00:00:02,000\nok\n\n2\n00:00:03,00 --> 00:00:04,000\nbad\n";
        assert_eq!(
            error(SubtitleFormat::Srt, srt),
            "line 6: expected a cue timing such as 00:00:01.000 --> 00:00:04.000"
        );
        for bad in [
            "00:00:61,000 --> 00:00:62,000",
            "00:60:00,000 --> 00:61:00,000",
            "00:00:01 --> 00:00:02",
            "0:00:01,000 --> 0:00:02,000",
            "00:00:01,000 -> 00:00:02,000",
            "00:00:01,000 --> ",
            "aa:bb:cc,ddd --> 00:00:02,000",
        ] {
            let text = format!("1\n{bad}\ntext\n");
            assert_eq!(
                error(SubtitleFormat::Srt, &text),
                "line 2: expected a cue timing such as 00:00:01.000 --> 00:00:04.000",
                "{bad}"
            );
        }
        let vtt = "WEBVTT\n\n00:01,000 --> 00:02.000\nx\n";
        assert!(error(SubtitleFormat::Vtt, vtt).starts_with("line 3:"));
        // A cue without its timing line.
        assert_eq!(
            error(SubtitleFormat::Srt, "1\n"),
            "line 2: expected a cue timing such as 00:00:01.000 --> 00:00:04.000"
        );
    }

    #[test]
    fn cues_must_end_after_they_start_in_order_without_overlap() {
        let backwards = "1\n00:00:05,000 --> 00:00:04,000\nx\n";
        assert_eq!(
            error(SubtitleFormat::Srt, backwards),
            "line 2: the cue must end after it starts"
        );
        let empty = "WEBVTT\n\n00:00:05.000 --> 00:00:05.000\nx\n";
        assert_eq!(
            error(SubtitleFormat::Vtt, empty),
            "line 3: the cue must end after it starts"
        );
        let overlap =
            "1\n00:00:01,000 --> 00:00:03,000\na\n\n2\n00:00:02,999 --> 00:00:04,000\nb\n";
        assert_eq!(
            error(SubtitleFormat::Srt, overlap),
            "line 6: the cue starts before the previous one ends"
        );
        let unordered =
            "WEBVTT\n\n00:00:10.000 --> 00:00:11.000\na\n\n00:00:01.000 --> 00:00:02.000\nb\n";
        assert_eq!(
            error(SubtitleFormat::Vtt, unordered),
            "line 6: the cue starts before the previous one ends"
        );
        // Touching cues are fine.
        let touching =
            "1\n00:00:01,000 --> 00:00:02,000\na\n\n2\n00:00:02,000 --> 00:00:03,000\nb\n";
        assert!(parse(SubtitleFormat::Srt, touching).is_ok());
    }

    #[test]
    fn structure_errors_name_their_line() {
        assert_eq!(
            error(
                SubtitleFormat::Vtt,
                "\u{FEFF}WEBVT\n\n00:01.000 --> 00:02.000\nx\n"
            ),
            "line 1: a WebVTT file must begin with WEBVTT"
        );
        assert_eq!(
            error(SubtitleFormat::Vtt, "WEBVTTX\n"),
            "line 1: a WebVTT file must begin with WEBVTT"
        );
        assert_eq!(
            error(
                SubtitleFormat::Srt,
                "\r\n\r\none\r\n00:00:01,000 --> 00:00:02,000\r\nx\r\n"
            ),
            "line 3: expected the cue's number"
        );
        // A missing blank line: the next cue's timing is inside this cue's text.
        let glued = "1\n00:00:01,000 --> 00:00:02,000\na\n2\n00:00:03,000 --> 00:00:04,000\nb\n";
        assert_eq!(
            error(SubtitleFormat::Srt, glued),
            "line 5: a blank line must separate one cue from the next"
        );
        assert_eq!(
            error(SubtitleFormat::Vtt, "WEBVTT\n\n"),
            "the file holds no cues"
        );
        assert_eq!(error(SubtitleFormat::Srt, ""), "the file holds no cues");
    }

    #[test]
    fn the_size_limit_is_512_kb_and_messages_come_in_spanish_too() {
        let cue = "1\n00:00:01,000 --> 00:00:02,000\nx\n\n";
        let big = cue.repeat(MAX_SUBTITLE_BYTES / cue.len() + 1);
        assert_eq!(error(SubtitleFormat::Srt, &big), "must be at most 512 KB");
        let err = parse(SubtitleFormat::Srt, "1\n00:00:05,000 --> 00:00:04,000\nx\n").unwrap_err();
        assert_eq!(
            err.0.render(Lang::Es),
            "línea 2: el subtítulo debe terminar después de empezar"
        );
        assert_eq!(SubtitleFormat::parse("srt").unwrap(), SubtitleFormat::Srt);
        assert!(SubtitleFormat::parse("SRT").is_err());
    }
}
