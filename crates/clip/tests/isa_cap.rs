//! `PHOTOFIND_MAX_ISA` takes effect: the cap is read once per process, so
//! the test runs this binary again with the variable set and the ignored
//! `under_the_cap` test doing the checks.

use std::process::Command;

use photofind_clip::gemm::{Kernel, Precision};

#[test]
fn the_cap_keeps_every_kernel_at_or_below_it() {
    for cap in ["baseline", "avx2", "avxvnni", "avx512"] {
        let out = Command::new(std::env::current_exe().expect("this test binary"))
            .args(["--ignored", "--exact", "under_the_cap", "--nocapture"])
            .env("PHOTOFIND_MAX_ISA", cap)
            .output()
            .expect("runs");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{cap}: {stdout}{}", String::from_utf8_lossy(&out.stderr));
        assert!(stdout.contains("1 passed"), "{cap}: the checks ran: {stdout}");
    }
}

#[test]
#[ignore = "run by the_cap_keeps_every_kernel_at_or_below_it, with PHOTOFIND_MAX_ISA set"]
fn under_the_cap() {
    let cap = std::env::var("PHOTOFIND_MAX_ISA").expect("run with PHOTOFIND_MAX_ISA");
    let fast: Vec<String> =
        Kernel::available().into_iter().filter(|k| !k.is_portable()).map(|k| format!("{k:?}")).collect();
    let allowed: &[&str] = match cap.as_str() {
        "baseline" => &[],
        "avx2" => &["Avx2", "Avx2I16"],
        "avxvnni" => &["Avx2", "Avx2I16", "AvxVnniI16"],
        "avx512" => &["Avx2", "Avx2I16", "AvxVnniI16", "Avx512", "Avx512I16"],
        other => panic!("no check for {other}"),
    };
    assert!(fast.iter().all(|k| allowed.contains(&k.as_str())), "{cap}: {fast:?}");
    let picked = Kernel::detect(Precision::Auto).map(|k| format!("{k:?}"));
    assert!(picked.as_deref().is_none_or(|k| allowed.contains(&k)), "{cap}: auto picked {picked:?}");
    if cap == "baseline" {
        assert_eq!(Kernel::detect(Precision::Auto), None, "baseline leaves the tower to candle");
    }
}
