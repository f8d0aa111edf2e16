//! The five seed connectors through the `#[connector]` macro, for timing the compile cost of a
//! crate that uses them (bench/compile-cost.sh). Building it is the measurement; running it
//! prints each connector's resources.

#[connector_macros::connector("../specs/device_inventory.yaml")]
pub mod device_inventory {}

#[connector_macros::connector("../specs/rmm.yaml")]
pub mod rmm {}

#[connector_macros::connector("../specs/asset_management.yaml")]
pub mod asset_management {}

#[connector_macros::connector("../specs/crm_analytics.yaml")]
pub mod crm_analytics {}

#[connector_macros::connector("../specs/meetings.yaml")]
pub mod meetings {}

/// The resource names of a generated connector, from the resolved spec it embeds.
fn resources(spec_json: &str) -> String {
    match connector_spec::ResolvedSpec::from_json(spec_json) {
        Ok(spec) => spec.dependency_order.join(", "),
        Err(err) => format!("(embedded spec unreadable: {err})"),
    }
}

fn main() {
    for (name, spec_json) in [
        (device_inventory::NAME, device_inventory::SPEC_JSON),
        (rmm::NAME, rmm::SPEC_JSON),
        (asset_management::NAME, asset_management::SPEC_JSON),
        (crm_analytics::NAME, crm_analytics::SPEC_JSON),
        (meetings::NAME, meetings::SPEC_JSON),
    ] {
        println!("{name}: {}", resources(spec_json));
    }
}
