//! Compile errors are part of the interface: each file in tests/ui holds one mistake, and
//! its .stderr snapshot holds what the user reads. Regenerate with `TRYBUILD=overwrite`.

#[test]
fn mistakes_are_reported_at_compile_time() {
    trybuild::TestCases::new().compile_fail("tests/ui/*.rs");
}
