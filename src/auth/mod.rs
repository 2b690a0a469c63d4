//! Accounts, sessions and tokens, roles, and the subtree scope.

pub mod activation;
pub mod api;
pub mod caller;
pub mod checks;
pub mod console;
pub mod extract;
pub mod limit;
pub mod ops;
pub mod password;
pub mod rules;
pub mod scope;
pub mod session;
pub mod store;

pub use caller::{Assignment, Caller};
pub use extract::{
    cookie_value, session_cookie, ApiCaller, ClientAddr, LoginRedirect, PageCaller, SESSION_COOKIE,
};
pub use scope::{Access, Right, Role, Scope};

use crate::program::{NavItem, Program, Show};

/// Sign-in, one's own password, and accounts.
pub const PROGRAM: Program = Program {
    records: &[],
    name: "auth",
    point_events: &[],
    figures: &[],
    home_cards: &[],
    api: api::router,
    pages: console::router,
    console_nav: &[NavItem {
        key: "accounts",
        label: "账号",
        href: "/accounts",
        order: 80,
        show: Show::Holding(Right::Accounts),
    }],
    phone_nav: &[],
    audit_labels: &[
        ("account.create", "新建账号"),
        ("account.bulk", "批量开通会员账号"),
        ("account.activate", "会员激活账号"),
        ("account.password", "设置密码"),
        ("account.disable", "停用账号"),
        ("account.enable", "启用账号"),
        ("account.request_reveal", "申请查看权限"),
        ("account.grant_reveal", "授予查看权限"),
        ("account.revoke_reveal", "收回查看权限"),
    ],
    jobs: &[],
    demo: &[],
};
