//! The academy (金领学院, "1 总院 + N 企业分院"): courses taught at a union,
//! offline sessions with capacity, a waiting list, QR check-in and attendance
//! (through the enrolment engine), completion paid in points once, feedback.

pub mod api;
pub mod console;
pub mod demo;
pub mod files;
pub mod ops;
pub mod phone;
pub mod rules;
pub mod store;

/// The categories every academy starts with.
pub const CATEGORIES: [&str; 4] = ["职业技能", "办公技能", "文化艺术", "思想政治"];
pub const SESSION: &str = "course_session";

use crate::program::{DemoStep, HomeCard, NavItem, Program, Show};

pub const PROGRAM: Program = Program {
    records: &[crate::program::RecordSource {
        read: |s, m| Box::pin(ops::delivered::record(s, m)),
    }],
    name: "academy",
    point_events: &[
        (ops::COURSE_COMPLETED, "完成课程"),
        (ops::FEEDBACK, "课程评价"),
    ],
    figures: &[crate::program::FigureSource {
        order: 30,
        group: "培训",
        compute: |s, t, p| Box::pin(ops::figures(s, t, p)),
        trends: Some(|s, t, m| Box::pin(ops::delivered::trends(s, t, m))),
    }],
    home_cards: &[HomeCard {
        order: 20,
        render: |s, m| Box::pin(phone::courses::today_card(s, m)),
    }],
    api: api::router,
    pages: || {
        console::router()
            .merge(phone::router())
            .merge(files::router())
    },
    console_nav: &[NavItem {
        key: "academy",
        label: "学院",
        href: "/academy",
        order: 30,
        show: Show::Staff,
    }],
    phone_nav: &[
        NavItem {
            key: "courses",
            label: "课程",
            href: "/m/courses",
            order: 20,
            show: Show::Member,
        },
        NavItem {
            key: "messages",
            label: "反馈",
            href: "/m/messages",
            order: 60,
            show: Show::Member,
        },
    ],
    audit_labels: &[
        ("enrolment.enrol", "报名"),
        ("enrolment.cancel", "取消报名"),
        ("enrolment.attend", "签到"),
        ("academy.create", "设立学院"),
        ("academy.staff", "学院工作人员"),
        ("academy.message", "意见反馈"),
        ("academy.message.answer", "答复反馈"),
        ("course.create", "新开课程"),
        ("course.update", "修改课程"),
        ("course.category", "新增课程类别"),
        ("course.session", "新增场次"),
        ("course.lesson", "新增课程视频"),
        ("course.lesson_video", "上传课程视频"),
        ("course.feedback", "课程评价"),
    ],
    jobs: &[],
    demo: &[DemoStep {
        fixture: false,
        run: |d| {
            Box::pin(async move {
                match &d.files {
                    Some(files) => demo::load(&d.db, files).await,
                    None => Ok("demo academy: no file store, skipped".into()),
                }
            })
        },
    }],
};
