//! The five seed specs through the macro, with `#![deny(warnings, missing_docs)]`: generated
//! code is warning-free and fully documented, and its API has the expected shape.
#![deny(warnings, missing_docs)]

use connector_runtime::ResourceStream;

/// Device inventory.
#[connector::connector("specs/device_inventory.yaml")]
pub mod device_inventory {}

/// RMM.
#[connector::connector("specs/rmm.yaml")]
pub mod rmm {}

/// Asset management.
#[connector::connector("specs/asset_management.yaml")]
pub mod asset_management {}

/// CRM analytics.
#[connector::connector("specs/crm_analytics.yaml")]
pub mod crm_analytics {}

/// Meetings, with an item of our own kept in the module.
#[connector::connector("specs/meetings.yaml")]
pub mod meetings {
    /// Kept beside the generated items.
    pub const OWN: u8 = 1;
}

fn _shapes(
    c: &meetings::Client,
    user: &meetings::types::User,
) -> (
    ResourceStream<meetings::types::User>,
    ResourceStream<meetings::types::Meeting>,
    ResourceStream<meetings::types::Meeting>,
) {
    let _: &str = &user.id;
    let _: Option<&String> = user.email.as_ref();
    let _: &connector_runtime::Connector = c.connector();
    let _ = meetings::OWN;
    (c.users(), c.meetings(), c.meetings_for(user))
}

fn _others(
    d: &device_inventory::Client,
    r: &rmm::Client,
    a: &asset_management::Client,
    crm: &crm_analytics::Client,
) {
    let _: ResourceStream<device_inventory::types::Computer> = d.computers();
    let _: ResourceStream<rmm::types::ResourceName> = r.resource_name();
    let _: ResourceStream<asset_management::types::Asset> = a.assets();
    let _: ResourceStream<crm_analytics::types::Company> = crm.company();
    let _: Result<crm_analytics::Secrets, connector_runtime::Error> =
        crm_analytics::Secrets::load(None);
}

fn main() {}
