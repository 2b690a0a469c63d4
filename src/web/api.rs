//! Shapes every JSON answer shares: one page of a list, and the problem
//! (RFC 9457) every error is answered with.

use serde::Serialize;

/// One page of a list: `total` counts them all (`total_is_exact: false` means
/// "at least": a broad search stops counting).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total_is_exact: Option<bool>,
    /// Lists of amounts (points): the sum over all of them, not only this page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sum: Option<i64>,
}

impl<T> Page<T> {
    /// A page of a paged list.
    pub fn of(items: Vec<T>, total: i64, paging: crate::db::Paging) -> Page<T> {
        Page {
            items,
            total,
            page: paging.page,
            per_page: paging.per_page,
            total_is_exact: None,
            sum: None,
        }
    }

    /// The sum of the amounts the whole list holds.
    pub fn with_sum(mut self, sum: i64) -> Page<T> {
        self.sum = Some(sum);
        self
    }

    /// A whole list on one page (the lists that are short by nature).
    pub fn all(items: Vec<T>) -> Page<T> {
        let n = items.len() as i64;
        Page {
            items,
            total: n,
            page: 1,
            per_page: n.max(1),
            total_is_exact: None,
            sum: None,
        }
    }
}

/// An error (RFC 9457 problem details), with the fields at fault.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub errors: Vec<crate::fields::FieldError>,
}

/// What any reading request may be answered with besides its record.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum ReadErrors {
    /// A query or path that does not parse.
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    /// No valid token.
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// The caller's role may not read this.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    /// Not there, or out of the caller's subtree (the two look alike).
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// A query value out of range.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
}

/// What any writing request may be answered with besides its record.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub enum WriteErrors {
    #[response(status = 400, content_type = "application/problem+json")]
    BadRequest(Problem),
    #[response(status = 401, content_type = "application/problem+json")]
    Unauthorized(Problem),
    /// In sight, but the caller lacks the right there.
    #[response(status = 403, content_type = "application/problem+json")]
    Forbidden(Problem),
    #[response(status = 404, content_type = "application/problem+json")]
    NotFound(Problem),
    /// Clashes with what is there (a code or number in use, a state that forbids it).
    #[response(status = 409, content_type = "application/problem+json")]
    Conflict(Problem),
    #[response(status = 413, content_type = "application/problem+json")]
    TooLarge(Problem),
    /// The fields at fault, each with its message.
    #[response(status = 422, content_type = "application/problem+json")]
    Invalid(Problem),
    /// Too many attempts.
    #[response(status = 429, content_type = "application/problem+json")]
    TooMany(Problem),
}

/// The schema of a whole number that may not be zero, within ±`max` (points
/// given or taken): `-max…-1` or `1…max`, which `minimum`/`maximum` alone
/// cannot say.
pub fn nonzero_within(max: i64) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, OneOfBuilder, SchemaFormat, Type};
    let range = |lo: i64, hi: i64| {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(lo))
            .maximum(Some(hi))
    };
    let one_of = OneOfBuilder::new()
        .item(range(-max, -1))
        .item(range(1, max))
        .build();
    utoipa::openapi::RefOr::T(utoipa::openapi::schema::Schema::OneOf(one_of))
}

/// The schema of a text that is one of a rule's own list (and "" where a
/// blank is allowed), so the document and the rule read the same list.
/// (utoipa's enum derive cannot name a blank variant.)
pub fn texts_schema(
    description: &str,
    values: &[&str],
    blank: bool,
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    let mut all: Vec<&str> = values.to_vec();
    if blank {
        all.push("");
    }
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .enum_values(Some(all))
        .into()
}

/// `object`, with at least one of `fields` present (a change that changes
/// something): what `minProperties` cannot say when unknown fields are
/// ignored.
pub fn at_least_one_of(
    object: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
    fields: &[&str],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ObjectBuilder};
    let any = fields
        .iter()
        .fold(AnyOfBuilder::new(), |any, f| {
            any.item(ObjectBuilder::new().required(*f))
        })
        .build();
    let any = utoipa::openapi::schema::Schema::AnyOf(any);
    AllOfBuilder::new().item(object).item(any).into()
}
