//! `GET .../bastionHosts/{name}`: one Bastion host.

use serde_json::Value;

use crate::context::OperationContext;
use crate::error::{Error, Result};
use crate::model::BastionHost;
use crate::pipeline::ArmPipeline;
use crate::resource_id::HostRef;
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::RequestSpec;

/// Reads `host`.
pub(crate) async fn get_host(
    pipeline: &ArmPipeline,
    host: &HostRef,
    ctx: &OperationContext,
) -> Result<BastionHost> {
    ctx.check()?;
    let target = host.resource_id();
    let spec = RequestSpec {
        method: reqwest::Method::GET,
        url: pipeline.url_for(&target)?,
        body: None,
    };
    let resp = pipeline
        .send(&spec, ArmOperation::GetHost, &target, ctx)
        .await?;
    let v: Value = serde_json::from_slice(&resp.body).map_err(|e| {
        Error::invalid_response(format!("the host answer is not valid JSON: {e}"))
            .with_target(&target)
    })?;
    BastionHost::from_arm_json(&v).map_err(|e| e.with_target(&target))
}
