//! The frame of every worker's phone page (under /m/): the member's name on
//! top, the tabs at the bottom (each program's phone entries), the session's
//! CSRF token for the page's forms.

use crate::auth::Caller;
use crate::member::store::Member;
use crate::state::AppState;
use crate::web::error::AppError;
use crate::web::NavLink;

/// What every phone page shows at the top and bottom.
pub struct MNav {
    pub name: String,
    pub csrf: String,
    pub active: &'static str,
    pub links: Vec<NavLink>,
}

/// The frame for a member account's page, and its member (403 for staff).
pub async fn nav(
    s: &AppState,
    c: &Caller,
    active: &'static str,
) -> Result<(MNav, Member), AppError> {
    let m = crate::auth::checks::own_member(s, c)
        .await
        .map_err(|_| AppError::Forbidden("手机端页面供会员账号使用".into()))?;
    Ok((
        MNav {
            name: m.name.clone(),
            csrf: c.csrf.clone(),
            active,
            links: crate::web::nav_links(true, c, active),
        },
        m,
    ))
}

#[derive(askama::Template)]
#[template(path = "m/home.html")]
struct HomePage {
    m: MNav,
    /// Each program's card, rendered by its own template.
    cards: Vec<String>,
}

/// The worker's home page (/m): the cards the programs contribute through
/// the list of programs (points, today's courses, …), in their order.
pub async fn home(
    axum::extract::State(s): axum::extract::State<AppState>,
    crate::auth::PageCaller(c): crate::auth::PageCaller,
) -> crate::web::pages::PageResult {
    use crate::web::pages::OrPage;
    let (m, member) = nav(&s, &c, "home").await.or_page(&c)?;
    let worker = crate::program::Worker {
        member_id: member.id,
        org_path: member.org_path,
        org_name: member.org_name,
    };
    let mut cards = vec![];
    for card in &crate::program::registry().home_cards {
        if let Some(html) = (card.render)(&s, &worker).await.or_page(&c)? {
            cards.push(html);
        }
    }
    Ok(crate::web::pages::render_with(
        axum::http::StatusCode::OK,
        &HomePage { m, cards },
    ))
}
