//! Port mode, series churn, git revisions and the chart, on small trees
//! whose right answers are known by construction.

use assert_cmd::Command;
use std::fs;
use std::path::Path;

fn write(root: &Path, rel: &str, body: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, body).unwrap();
}

fn tool() -> Command {
    Command::cargo_bin("bilby-diffstat").unwrap()
}

/// Upstream tree plus a ported tree: arch/l4 added, two shared hooks.
fn upstream_and_port(t: &Path) {
    for side in ["up", "port"] {
        let r = t.join(side);
        write(&r, "kernel/fork.c", "int a;\nint b;\nint c;\n");
        write(&r, "arch/x86/kernel/x.c", "int x;\n");
        write(&r, "Makefile", "obj-y += kernel/\n");
    }
    let p = t.join("port");
    write(&p, "arch/l4/Kconfig", "config L4\n\tbool \"l4\"\n");
    write(
        &p,
        "arch/l4/kernel/entry.c",
        "/* entry */\nint e;\n\nint f;\n",
    );
    write(
        &p,
        "kernel/fork.c",
        "int a;\n#ifdef CONFIG_L4\nint l4_hook;\n#endif\nint b;\nint c;\n",
    );
    write(
        &p,
        "Makefile",
        "obj-y += kernel/\nobj-$(CONFIG_L4) += l4/\n",
    );
}

#[test]
fn port_mode_lists_hooks_first_with_config_hunks() {
    let t = tempfile::tempdir().unwrap();
    upstream_and_port(t.path());
    let out = tool()
        .current_dir(t.path())
        .args(["--port", "arch/l4", "up", "port"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    let hooks = s.find("hooks in shared code: 2 files, +4 -0 lines, 2 CONFIG hunks");
    let own = s.find("own code: 2 files changed, +6 -0 lines; 2 files added (6 lines");
    assert!(hooks.is_some() && own.is_some(), "{s}");
    assert!(hooks < own, "hooks must come first:\n{s}");
    assert!(s.contains("algorithm: minimal"), "{s}");

    let out = tool()
        .current_dir(t.path())
        .args(["--json", "--port", "arch/l4", "up", "port"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let p = &v["ports"][0];
    assert_eq!(p["spec"]["symbols"][0], "L4");
    assert_eq!(p["hook_config_hunks"], 2);
    assert_eq!(p["own_added"]["files"], 2);
    assert_eq!(p["new_size"]["lines"]["comment"], 1);
    assert_eq!(p["new_size"]["lines"]["blank"], 1);
    assert_eq!(v["by_area"]["arch:l4"]["added"], 6);
}

#[test]
fn series_churn_and_chart() {
    let t = tempfile::tempdir().unwrap();
    let body = |n: usize| -> String { (0..n).map(|i| format!("int v{i};\n")).collect() };
    write(&t.path().join("v1"), "arch/um/a.c", &body(10));
    write(
        &t.path().join("v1"),
        "mm/m.c",
        "#ifdef CONFIG_UML\nint u;\n#endif\n",
    );
    write(
        &t.path().join("v2"),
        "arch/um/a.c",
        &format!("{}int new;\n", body(9)),
    );
    write(
        &t.path().join("v2"),
        "mm/m.c",
        "#ifdef CONFIG_UML\nint u2;\n#endif\n",
    );
    write(
        &t.path().join("v3"),
        "arch/um/a.c",
        &format!("{}int new;\n", body(9)),
    );
    write(
        &t.path().join("v3"),
        "mm/m.c",
        "#ifdef CONFIG_UML\nint u2;\n#endif\n",
    );
    let svg = t.path().join("churn.svg");
    let out = tool()
        .current_dir(t.path())
        .args(["--series", "--json", "--port", "um", "--svg"])
        .arg(&svg)
        .args(["v1", "v2", "v3"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["schema"], "bilby-diffstat/1-series");
    let steps = v["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2);
    let um = &steps[0]["ports"][0];
    assert_eq!(um["lines"], 10);
    assert_eq!(um["churned"], 2);
    assert!((um["relative_churn"].as_f64().unwrap() - 0.2).abs() < 1e-9);
    assert_eq!(um["hook_churned"], 2);
    assert_eq!(um["hook_config_hunks"], 1);
    assert_eq!(steps[1]["ports"][0]["churned"], 0);
    let chart = fs::read_to_string(&svg).unwrap();
    assert!(
        chart.starts_with("<svg") && chart.contains("v1 -&gt; v2"),
        "{chart}"
    );

    let md = tool()
        .current_dir(t.path())
        .args(["--series", "--markdown", "--port", "um", "v1", "v2", "v3"])
        .output()
        .unwrap();
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(
        md.contains("| um | arch/um | 1 → 1 | 10 (10 / 0 / 0) | 10 | 2 (+1 / -1) | 20.0% |"),
        "{md}"
    );
}

#[test]
fn series_over_git_revisions() {
    let t = tempfile::tempdir().unwrap();
    let r = t.path();
    let git = |args: &[&str]| {
        let st = std::process::Command::new("git")
            .args(args)
            .current_dir(r)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
            .status()
            .unwrap();
        assert!(st.success());
    };
    git(&["init", "-q", "-b", "main"]);
    for (i, body) in ["a\n", "a\nb\n", "x\nb\n"].iter().enumerate() {
        write(r, "arch/l4/k.c", body);
        git(&["add", "."]);
        git(&["commit", "-q", "-m", "c"]);
        git(&["tag", &format!("v{i}")]);
    }
    let out = tool()
        .args(["--series", "--csv", "--port", "l4", "--git"])
        .arg(r)
        .args(["v0", "v1", "v2"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s = String::from_utf8(out.stdout).unwrap();
    let rows: Vec<&str> = s.lines().collect();
    assert_eq!(rows.len(), 3, "{s}");
    assert!(rows[1].starts_with("v0,v1,l4,1,2,1,1.0000,"), "{s}");
    assert!(rows[2].starts_with("v1,v2,l4,2,2,2,1.0000,"), "{s}");
}
