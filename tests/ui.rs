//! Compile errors are part of the interface: each file in tests/ui holds one mistake, and
//! its .stderr snapshot holds what the user reads. Regenerate with `TRYBUILD=overwrite`.
//! Files in tests/ui-pass must compile and run; their presence also makes trybuild build
//! (not just check) every case, so errors found when generic code is instantiated with
//! concrete widths and batch sizes are caught too.

#[test]
fn mistakes_are_reported_at_compile_time() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui-pass/*.rs");
    cases.compile_fail("tests/ui/*.rs");
}
