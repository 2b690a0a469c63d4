//! Cadre points (工会干部积分制): union cadres keep an account of their own,
//! apart from the members' points. A union's admin sets rule items (组织培训一次
//! +5, 按时报送 +2, 未按时 −2) that reach the cadres of its whole subtree; staff
//! record entries with evidence; each organisation ranks its cadres by year.

pub mod api;
pub mod rules;
pub mod staff;
pub mod store;

/// Today in Beijing, `YYYY-MM-DD`: entries may not be dated after it.
pub fn today() -> String {
    crate::db::format_ms(crate::db::now_ms())
        .get(..10)
        .unwrap_or("1970-01-01")
        .to_string()
}

/// This year in Beijing: the default year of lists and rankings.
pub fn this_year() -> i32 {
    rules::year_of(&today())
}
