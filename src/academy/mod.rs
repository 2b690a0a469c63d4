//! The academy (金领学院, "1 总院 + N 企业分院"): courses taught at a union,
//! offline sessions with capacity, a waiting list, QR check-in and attendance
//! (through the enrolment engine), completion paid in points once, feedback.

pub mod api;
pub mod campuses;
pub mod categories;
pub mod messages;
pub mod pages;
pub mod rules;
pub mod staff;
pub mod store;
pub mod videos;

/// The categories every academy starts with.
pub const CATEGORIES: [&str; 4] = ["职业技能", "办公技能", "文化艺术", "思想政治"];
pub const SESSION: &str = "course_session";
