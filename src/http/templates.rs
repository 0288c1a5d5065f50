//! `GET /v1/templates` and `GET /v1/templates/{name}`: the built-in (or
//! configured) templates with their description and sample data.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::problem::Problem;
use crate::templates::TemplateInfo;

/// The template list.
#[derive(Serialize, ToSchema)]
pub struct TemplateList {
    pub templates: Vec<TemplateInfo>,
}

/// List the templates a job may name, with sample data that renders as is.
#[utoipa::path(get, path = "/v1/templates", tag = "templates",
    responses(
        (status = 200, description = "Every template", body = TemplateList),
        super::problem::KeyProblems,
    ))]
pub async fn list(State(state): State<Arc<AppState>>) -> Json<TemplateList> {
    Json(TemplateList {
        templates: state.templates.infos().cloned().collect(),
    })
}

/// One template: description, formats and sample data.
#[utoipa::path(get, path = "/v1/templates/{name}", tag = "templates",
    params(("name" = String, Path, description = "Template name", example = "invoice")),
    responses(
        (status = 200, description = "The template", body = TemplateInfo),
        (status = 404, description = "No such template", body = Problem, content_type = "application/problem+json"),
        super::problem::KeyProblems,
    ))]
pub async fn get(
    State(state): State<Arc<AppState>>,
    name: Result<Path<String>, axum::extract::rejection::PathRejection>,
) -> Response {
    // A name that is not UTF-8 names no template either.
    let name = name.map_or_else(|_| String::from("\u{fffd}"), |Path(name)| name);
    match state.templates.get(&name) {
        Some(info) => Json(info.clone()).into_response(),
        None => Problem::new(
            404,
            "unknown-template",
            "Unknown template",
            format!(
                "no template named {name:?}; GET /v1/templates lists them ({})",
                state.templates.names().collect::<Vec<_>>().join(", ")
            ),
        )
        .into_response(),
    }
}
