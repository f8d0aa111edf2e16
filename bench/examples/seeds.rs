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

fn main() {
    let names = |resources: Vec<&'static str>| resources.join(", ");
    println!(
        "{}: {}",
        device_inventory::NAME,
        names(
            device_inventory::Client::resources()
                .iter()
                .map(|r| r.name)
                .collect()
        )
    );
    println!(
        "{}: {}",
        rmm::NAME,
        names(rmm::Client::resources().iter().map(|r| r.name).collect())
    );
    println!(
        "{}: {}",
        asset_management::NAME,
        names(
            asset_management::Client::resources()
                .iter()
                .map(|r| r.name)
                .collect()
        )
    );
    println!(
        "{}: {}",
        crm_analytics::NAME,
        names(
            crm_analytics::Client::resources()
                .iter()
                .map(|r| r.name)
                .collect()
        )
    );
    println!(
        "{}: {}",
        meetings::NAME,
        names(
            meetings::Client::resources()
                .iter()
                .map(|r| r.name)
                .collect()
        )
    );
}
