//! `GET .../bastionHosts`: the Bastion hosts of one subscription, or of one resource group
//! in it, every page read.

use crate::context::OperationContext;
use crate::error::Result;
use crate::model::BastionHost;
use crate::pipeline::{ArmPipeline, paging};
use crate::transport::arm_error::ArmOperation;
use crate::transport::http::RequestSpec;

/// Lists the hosts of `subscription_id` (of `resource_group_name` in it, when given).
/// Both must already have passed their rules in [`crate::names`].
pub(crate) async fn list_hosts(
    pipeline: &ArmPipeline,
    subscription_id: &str,
    resource_group_name: Option<&str>,
    ctx: &OperationContext,
) -> Result<Vec<BastionHost>> {
    ctx.check()?;
    let sub = subscription_id;
    let (path, target) = match resource_group_name {
        Some(rg) => (
            format!(
                "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Network/bastionHosts"
            ),
            format!("resource group '{rg}' in subscription '{sub}'"),
        ),
        None => (
            format!("/subscriptions/{sub}/providers/Microsoft.Network/bastionHosts"),
            format!("subscription '{sub}'"),
        ),
    };
    let spec = RequestSpec {
        method: reqwest::Method::GET,
        url: pipeline.url_for(&path)?,
        body: None,
    };
    let first = pipeline
        .send(&spec, ArmOperation::ListHosts, &target, ctx)
        .await?;
    paging::collect_all(
        pipeline,
        first,
        ArmOperation::ListHosts,
        &target,
        ctx,
        BastionHost::from_arm_json,
    )
    .await
}
