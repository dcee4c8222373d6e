//! Every failure the service answers with: one JSON shape,
//! `{"error": {"code", "message"}}`, and the right status.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

use crate::rules::Problem;

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// Rule-set problems, for a failed reload.
    pub problems: Vec<Problem>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, schemars::JsonSchema)]
pub struct ErrorDetail {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<ProblemBody>,
}

/// A rule-set problem as the API reports it.
#[derive(Serialize, schemars::JsonSchema)]
pub struct ProblemBody {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub rule: Option<String>,
    pub field: Option<String>,
    pub reason: String,
    /// The whole problem as one line.
    pub text: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            problems: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message.clone(),
                problems: self
                    .problems
                    .iter()
                    .map(|p| ProblemBody {
                        file: p.file.display().to_string(),
                        line: p.line,
                        column: p.column,
                        rule: p.rule.clone(),
                        field: p.field.clone(),
                        reason: p.reason.clone(),
                        text: p.to_string(),
                    })
                    .collect(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

impl ApiError {
    /// Maps axum's JSON extractor rejections to our errors; `limit` is the
    /// body limit of the endpoint, named in the 413 message.
    pub fn from_rejection(r: axum::extract::rejection::JsonRejection, limit: usize) -> Self {
        use axum::extract::rejection::JsonRejection as J;
        match r {
            J::MissingJsonContentType(_) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "send the body as JSON with `Content-Type: application/json`",
            ),
            J::JsonSyntaxError(e) => {
                ApiError::bad_request(format!("the body is not valid JSON: {}", e.body_text()))
            }
            J::JsonDataError(e) => ApiError::bad_request(format!(
                "the JSON does not have the expected fields: {}",
                e.body_text()
            )),
            J::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than the limit of {limit} bytes"),
            ),
            other => ApiError::bad_request(other.body_text()),
        }
    }
}
