//! The OpenAPI 3.1 document for `/api/v1`, served at `/api/v1/openapi.json`.
//! Every operation in it is the `#[utoipa::path]` on its handler, collected by
//! the program's `OpenApiRouter`; this file only adds what is true of the
//! whole API: its title, the bearer scheme and that every call needs it
//! unless the operation says otherwise (logging in).

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, Server};

pub fn document(mut api: OpenApi) -> OpenApi {
    api.info = InfoBuilder::new()
        .title("Gongjiang API")
        .version(env!("CARGO_PKG_VERSION"))
        .description(Some(
            "工匠 Gongjiang — every list is scoped to the caller's subtree; a record outside it answers 404.",
        ))
        .build();
    api.servers = Some(vec![Server::new("/")]);
    api.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    api.security = Some(vec![SecurityRequirement::new(
        "bearer",
        Vec::<String>::new(),
    )]);
    api
}
