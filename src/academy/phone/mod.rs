//! The academy's phone pages under /m/: courses, sessions and check-in,
//! ratings, the replay player, feedback to the academy.

pub mod courses;
pub mod lessons;
pub mod messages;

use crate::state::AppState;

pub fn router() -> axum::Router<AppState> {
    courses::router()
        .merge(lessons::router())
        .merge(messages::router())
}
