//! One module per seed API, each a router mounted under its own prefix, plus the bench API.

pub(crate) mod asset_management;
pub(crate) mod bench;
pub(crate) mod crm_analytics;
pub(crate) mod device_inventory;
pub(crate) mod meetings;
pub(crate) mod rmm;
