//! Pure rules of the academy: crediting watch time so that it never runs
//! faster than the clock.

/// A player may run a little fast or report late; beyond this, it is not a person watching.
pub const RATE_TOLERANCE_PERCENT: i64 = 10;
/// Allowance per report for the clocks of phone and server not agreeing.
pub const REPORT_SLACK_MS: i64 = 2_000;
/// The most a lesson's credited time may run ahead of the wall time since it
/// was opened, however many reports arrive: once per lesson, not per report.
pub const TOTAL_SLACK_MS: i64 = 5_000;

/// What the server has credited so far for one member and lesson.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    pub watched_ms: i64,
    pub position_ms: i64,
    pub reported_at: i64,
    /// The first report: the clock that credited time is held to.
    pub opened_at: i64,
}

/// Credits a report of `position_ms` at `now`: forward play counts, up to the
/// real time since the last report (plus a small tolerance), and the total
/// never beyond the wall time since the lesson was opened plus
/// `TOTAL_SLACK_MS`; seeking back or jumping ahead earns nothing beyond that.
/// Never more than the video's length.
pub fn credit(prev: Option<Progress>, now: i64, position_ms: i64, duration_ms: i64) -> Progress {
    let position = position_ms.clamp(0, duration_ms);
    let Some(p) = prev else {
        // The first report starts the clock; nothing is watched yet.
        return Progress {
            watched_ms: 0,
            position_ms: position,
            reported_at: now,
            opened_at: now,
        };
    };
    let elapsed = (now - p.reported_at).max(0);
    let allowed = elapsed + elapsed * RATE_TOLERANCE_PERCENT / 100 + REPORT_SLACK_MS;
    let forward = (position - p.position_ms).max(0);
    let ceiling = (now - p.opened_at).max(0) + TOTAL_SLACK_MS;
    let watched = (p.watched_ms + forward.min(allowed))
        .min(ceiling)
        .min(duration_ms);
    Progress {
        // Never less than before (a clock set back takes nothing away).
        watched_ms: watched.max(p.watched_ms),
        position_ms: position,
        reported_at: now.max(p.reported_at),
        opened_at: p.opened_at,
    }
}

/// The earliest and the latest a session may start or end (2000-01-01 and
/// 2100-01-01, epoch milliseconds): a mistyped year is an error, not a
/// session in the year 460,000 the figures cannot place in a month.
pub const SESSION_EARLIEST_MS: i64 = 946_684_800_000;
pub const SESSION_LATEST_MS: i64 = 4_102_444_800_000;

/// A session's place, times and capacity: a place of at most 100 characters,
/// times between 2000 and 2100, an end after the start, 1–10000 places.
/// Returns the trimmed place.
pub fn check_session(
    place: &str,
    starts_at: Option<i64>,
    ends_at: Option<i64>,
    capacity: Option<i64>,
) -> Result<String, crate::fields::Invalid> {
    let mut e = crate::fields::Errors::default();
    let place = place.trim();
    if place.is_empty() || place.chars().count() > 100 {
        e.add("place", "请填写上课地点（不超过100个字）");
    }
    let in_range = |t: i64| (SESSION_EARLIEST_MS..=SESSION_LATEST_MS).contains(&t);
    match (starts_at, ends_at) {
        (None, _) | (Some(0), _) => e.add("starts_at", "请填写开始时间"),
        (Some(a), _) if !in_range(a) => e.add("starts_at", "开始时间应在 2000 年至 2100 年之间"),
        (_, None) => e.add("ends_at", "请填写结束时间"),
        (_, Some(b)) if !in_range(b) => e.add("ends_at", "结束时间应在 2000 年至 2100 年之间"),
        (Some(a), Some(b)) if b <= a => e.add("ends_at", "结束时间须晚于开始时间"),
        _ => {}
    }
    if !capacity.is_some_and(|c| (1..=10_000).contains(&c)) {
        e.add("capacity", "名额应为 1–10000");
    }
    e.finish()?;
    Ok(place.to_string())
}

/// The longest lesson video: 12 hours.
const MAX_VIDEO_MS: i64 = 12 * 3_600_000;

/// A video's length in milliseconds: 1 second to 12 hours.
pub fn check_duration_ms(ms: i64) -> Result<i64, String> {
    if !(1_000..=MAX_VIDEO_MS).contains(&ms) {
        return Err("视频时长 duration_ms 应为 1 秒到 12 小时（毫秒）".into());
    }
    Ok(ms)
}

/// "mm:ss", "h:mm:ss" or whole minutes, as the staff form takes a video's length.
pub fn parse_duration(v: &str) -> Result<i64, String> {
    let parts: Vec<&str> = v.trim().split([':', '：']).collect();
    let nums: Option<Vec<i64>> = parts.iter().map(|p| p.trim().parse().ok()).collect();
    let secs = match nums.as_deref() {
        Some([m]) => Some(m * 60),
        Some([m, s]) if *s < 60 => Some(m * 60 + s),
        Some([h, m, s]) if *m < 60 && *s < 60 => Some(h * 3600 + m * 60 + s),
        _ => None,
    };
    secs.and_then(|s| s.checked_mul(1000))
        .and_then(|ms| check_duration_ms(ms).ok())
        .ok_or_else(|| "时长写作 分:秒（如 12:30），或整分钟数；不超过 12 小时".into())
}

/// A lesson's video link: empty (the video is uploaded instead) or an
/// http(s) URL of at most 500 characters without spaces.
pub fn parse_video_url(v: &str) -> Result<String, String> {
    let url = v.trim();
    if url.is_empty() {
        return Ok(String::new());
    }
    if !(url.starts_with("https://") || url.starts_with("http://"))
        || url.len() > 500
        || url.contains(char::is_whitespace)
    {
        return Err("视频地址应为 http(s):// 开头的链接".into());
    }
    Ok(url.to_string())
}

/// A course's description: trimmed, at most 2000 characters.
pub fn parse_description(v: &str) -> Result<String, String> {
    let v = v.trim();
    if v.chars().count() > 2000 {
        return Err("课程介绍不能超过2000个字".into());
    }
    Ok(v.to_string())
}

/// The share of each lesson a course asks to be watched: 10–100 %.
pub fn parse_watch_percent(v: i64) -> Result<i64, String> {
    if !(10..=100).contains(&v) {
        return Err("完成所需观看比例应为 10–100（%）".into());
    }
    Ok(v)
}

/// Watched enough of a lesson: at least `percent` of its length.
pub fn completed(watched_ms: i64, duration_ms: i64, percent: i64) -> bool {
    watched_ms * 100 >= duration_ms * percent.clamp(1, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_in_a_mistyped_year_is_refused_with_its_field() {
        let now = 1_800_000_000_000;
        assert!(check_session("教室", Some(now), Some(now + 3_600_000), Some(5)).is_ok());
        for (starts, ends, field) in [
            (14_467_019_774_396_776, 14_467_019_777_996_776, "starts_at"),
            (-5, now, "starts_at"),
            (now, SESSION_LATEST_MS + 1, "ends_at"),
        ] {
            let e = check_session("教室", Some(starts), Some(ends), Some(5)).unwrap_err();
            assert_eq!(e.field_errors()[0].field, field, "{starts} {ends}");
        }
    }

    #[test]
    fn video_lengths_and_links_as_staff_write_them() {
        assert_eq!(parse_duration("12:30"), Ok(750_000));
        assert_eq!(parse_duration("1:02:03"), Ok(3_723_000));
        assert_eq!(parse_duration("45"), Ok(2_700_000));
        assert_eq!(parse_duration("12：30"), Ok(750_000));
        assert!(parse_duration("12:70").is_err());
        assert!(parse_duration("0").is_err());
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("13:00:00").is_err());
        assert!(parse_duration("99999999999999999").is_err());
        assert_eq!(check_duration_ms(1_000), Ok(1_000));
        assert_eq!(parse_description(" 焊接 "), Ok("焊接".into()));
        assert!(parse_description(&"字".repeat(2001)).is_err());
        assert!(check_duration_ms(999).is_err());
        assert_eq!(parse_video_url(" "), Ok(String::new()));
        assert_eq!(
            parse_video_url(" https://v.example/a.mp4 "),
            Ok("https://v.example/a.mp4".into())
        );
        assert!(parse_video_url("ftp://x").is_err());
        assert!(parse_video_url("https://a b").is_err());
    }
    use proptest::prelude::*;

    #[test]
    fn honest_playback_is_credited_and_a_jump_is_not() {
        let d = 600_000; // a 10-minute video
        let mut p = credit(None, 0, 0, d);
        for t in (10_000..=600_000).step_by(10_000) {
            p = credit(Some(p), t, t, d);
        }
        assert_eq!(p.watched_ms, d, "watching it through, reported every 10 s");
        assert!(completed(p.watched_ms, d, 90));
        let start = credit(None, 0, 0, d);
        let jumped = credit(Some(start), 1_000, d, d);
        assert!(
            jumped.watched_ms <= 1_000 + 100 + REPORT_SLACK_MS,
            "a jump to the end in a second earns a second: {jumped:?}"
        );
        assert!(!completed(jumped.watched_ms, d, 90));
        // Seeking back and replaying does not count twice beyond real time either.
        let back = credit(Some(jumped), 2_000, 0, d);
        assert_eq!(back.watched_ms, jumped.watched_ms);
    }

    #[test]
    fn a_flood_of_reports_earns_no_more_than_the_clock() {
        // The review's attack: 1,877 reports in 12.9 s, each claiming 2 s more.
        let d = 62 * 60_000;
        let mut p = credit(None, 0, 0, d);
        for i in 1..=1877i64 {
            let now = i * 12_900 / 1877;
            p = credit(Some(p), now, i * 2_000, d);
        }
        assert!(p.watched_ms <= 12_900 + TOTAL_SLACK_MS, "{p:?}");
        assert!(!completed(p.watched_ms, d, 90));
    }

    proptest! {
        /// Whatever positions a player reports, and when, the credited time
        /// never exceeds the wall time since the lesson was opened plus one
        /// small total slack, nor the video's length.
        #[test]
        fn never_faster_than_the_clock(reports in proptest::collection::vec((0i64..30_000, 0i64..700_000), 1..200)) {
            let d = 600_000;
            let start = 1_000_000;
            let (mut now, mut p) = (start, credit(None, start, 0, d));
            for (gap, pos) in &reports {
                now += gap;
                p = credit(Some(p), now, *pos, d);
                prop_assert!(p.watched_ms <= now - start + TOTAL_SLACK_MS, "{} > {}", p.watched_ms, now - start);
                prop_assert!(p.watched_ms <= d && p.watched_ms >= 0);
            }
        }
    }
}

/// Which union kinds host which campus: a main academy at a federation union,
/// a branch at an enterprise or joint union.
pub fn check_campus(kind: &str, org_kind: &str) -> Result<(), String> {
    let federation = matches!(
        org_kind,
        "省总工会" | "市总工会" | "区县总工会" | "乡镇街道总工会" | "产业工会"
    );
    match kind {
        "main" if federation => Ok(()),
        "main" => Err(format!("总院设在总工会或产业工会，“{org_kind}”可以设分院")),
        "branch" if matches!(org_kind, "企业工会" | "联合工会") => Ok(()),
        "branch" => Err(format!(
            "分院设在企业工会或联合工会，“{org_kind}”可以设总院"
        )),
        other => Err(format!(
            "学院类型“{other}”无效，可选 main（总院）或 branch（分院）"
        )),
    }
}

#[cfg(test)]
mod campus_tests {
    #[test]
    fn campuses_by_union_kind() {
        assert!(super::check_campus("main", "乡镇街道总工会").is_ok());
        assert!(super::check_campus("main", "企业工会").is_err());
        assert!(super::check_campus("branch", "企业工会").is_ok());
        assert!(super::check_campus("branch", "市总工会")
            .unwrap_err()
            .contains("总院"));
        assert!(super::check_campus("college", "企业工会").is_err());
    }
}

/// Longest feedback a worker may send, and longest answer, in characters.
pub const MESSAGE_MAX_CHARS: usize = 1000;
/// Longest name of a course category an admin adds, in characters.
pub const CATEGORY_MAX_CHARS: usize = 20;

/// A worker's feedback (意见反馈) to the academy: trimmed, not empty, at most 1000 characters.
pub fn parse_message(body: &str) -> Result<String, String> {
    parse_text(body, "请填写意见或建议", "意见反馈")
}

/// Staff's answer to a worker's feedback: the same bounds as the feedback.
pub fn parse_answer(answer: &str) -> Result<String, String> {
    parse_text(answer, "请填写答复内容", "答复")
}

fn parse_text(v: &str, empty: &str, what: &str) -> Result<String, String> {
    let v = v.trim();
    if v.is_empty() {
        return Err(empty.to_string());
    }
    let n = v.chars().count();
    if n > MESSAGE_MAX_CHARS {
        return Err(format!(
            "{what}不能超过{MESSAGE_MAX_CHARS}个字（现有{n}个字）"
        ));
    }
    Ok(v.to_string())
}

/// The name of a course category an admin adds: trimmed, 1–20 characters, one line.
pub fn parse_category(name: &str) -> Result<String, String> {
    let v = name.trim();
    if v.is_empty() {
        return Err("请填写类别名称".into());
    }
    if v.chars().count() > CATEGORY_MAX_CHARS || v.chars().any(char::is_control) {
        return Err(format!("类别名称应为一行、不超过{CATEGORY_MAX_CHARS}个字"));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod desk_tests {
    use super::*;

    #[test]
    fn feedback_and_answers_are_trimmed_and_bounded() {
        assert_eq!(
            parse_message("  食堂旁开个夜校班？ \n").unwrap(),
            "食堂旁开个夜校班？"
        );
        assert!(parse_message(" \t\n ").is_err());
        assert!(parse_message(&"字".repeat(1000)).is_ok());
        assert!(parse_message(&"字".repeat(1001))
            .unwrap_err()
            .contains("1000"));
        assert!(parse_answer("").is_err());
        assert_eq!(parse_answer(" 已安排 ").unwrap(), "已安排");
        assert!(parse_answer(&"a".repeat(1001)).is_err());
    }

    #[test]
    fn category_names() {
        assert_eq!(parse_category(" 安全生产 ").unwrap(), "安全生产");
        assert!(parse_category("  ").is_err());
        assert!(parse_category(&"类".repeat(21)).is_err());
        assert!(parse_category("两\n行").is_err());
    }
}
