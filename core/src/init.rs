//! stub
/// stub
pub enum Init {}
