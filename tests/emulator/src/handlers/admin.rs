//! The emulator's own endpoints that take a body: scripting faults at run time.

use http::{Response, StatusCode};
use serde_json::json;

use crate::faults::ScriptedFault;
use crate::response::{Body, json};
use crate::router::RequestInfo;
use crate::state::{Emulator, lock};

/// `POST /_emulator/faults` with one scripted fault or an array of them.
pub fn script_faults(emulator: &Emulator, info: &RequestInfo) -> Response<Body> {
    let parsed: Result<Vec<ScriptedFault>, _> =
        serde_json::from_slice::<Vec<ScriptedFault>>(&info.body)
            .or_else(|_| serde_json::from_slice::<ScriptedFault>(&info.body).map(|f| vec![f]));
    match parsed {
        Ok(faults) => {
            let n = faults.len();
            lock(&emulator.faults).script(faults);
            json(StatusCode::OK, &json!({ "scripted": n }))
        }
        Err(e) => json(
            StatusCode::BAD_REQUEST,
            &json!({ "error": { "code": "InvalidFaultScript", "message": format!("expected {{\"operation\",\"fault\":\"429|500|503|drop\",\"count\"}} or an array of them: {e}") } }),
        ),
    }
}
