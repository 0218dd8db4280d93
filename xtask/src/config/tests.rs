use super::*;
use crate::error::Failure;

fn code(text: &str) -> Code {
    Config::parse(text).unwrap_err().downcast::<Failure>().unwrap().code
}

#[test]
fn full_file() {
    let c = Config::parse(
        r#"
        [python]
        root = "py"
        [tags]
        package = "{name}@{version}"
        umbrella = "v{version}"
        [[groups]]
        name = "core"
        members = ["a", "b"]
        [release]
        allow-branches = ["main", "release/*"]
        "#,
    )
    .unwrap();
    assert_eq!(c.python_root, PathBuf::from("py"));
    assert_eq!(c.tag_umbrella.as_deref(), Some("v{version}"));
    assert_eq!(
        c.groups,
        vec![Group { name: "core".into(), members: vec!["a".into(), "b".into()], tag: vec![], umbrella: None }]
    );
    assert_eq!(render_tag(&c.tag_package[0], "a", "1.0"), "a@1.0");
}

#[test]
fn errors() {
    assert_eq!(code("[python\n"), Code::ConfigSyntax);
    assert_eq!(code("[tags]\npakage = 'x'"), Code::ConfigUnknownKey);
    assert_eq!(code("[pyton]\nroot = 'x'"), Code::ConfigUnknownKey);
    assert_eq!(code("[python]\nroot = 1"), Code::ConfigValue);
    assert_eq!(code("[tags]\npackage = 'v{version}'"), Code::TagFormat);
    assert_eq!(code("[tags]\npackage = '{name} v{version}'"), Code::TagFormat);
    assert_eq!(code("[tags]\numbrella = 'release..{version}'"), Code::TagFormat);
    let err = Config::parse("[tags]\npakage = 'x'").unwrap_err().downcast::<Failure>().unwrap();
    assert!(err.help.contains("did you mean `tags.package`"), "{}", err.help);
}

#[test]
fn tag_template_lists_and_group_tags() {
    let c = Config::parse(
        r#"
        [tags]
        package = ["{name}-v{version}", "{name}-{version}"]
        python = "py/{name}-v{version}"
        [[groups]]
        name = "all"
        members = ["a"]
        tag = ["v{version}", "release-{version}"]
        "#,
    )
    .unwrap();
    use crate::version::Ecosystem;
    assert_eq!(c.tag_template(Ecosystem::Cargo), "{name}-v{version}");
    assert_eq!(c.tag_templates(Ecosystem::Cargo), ["{name}-v{version}", "{name}-{version}"]);
    assert_eq!(c.tag_templates(Ecosystem::Python), ["py/{name}-v{version}"]);
    assert_eq!(c.tag_key(Ecosystem::Python), "[tags] python");
    assert_eq!(c.groups[0].tag, ["v{version}", "release-{version}"]);
    assert_eq!(Config::default().tag_templates(Ecosystem::Python), [DEFAULT_TAG]);
    assert_eq!(code("[tags]\npackage = []"), Code::ConfigValue);
    assert_eq!(code("[tags]\npackage = ['{name}-v{version}', 'v{version}']"), Code::TagFormat);
    assert_eq!(code("[[groups]]\nname = 'g'\nmembers = []\ntag = 'v'"), Code::TagFormat);
    assert_eq!(code("[[groups]]\nname = 'g'\nmembers = []\ntag = 1"), Code::ConfigValue);
}

#[test]
fn changelog_and_forge() {
    let c = Config::default();
    assert!(c.changelog.enabled);
    assert_eq!(c.changelog.path, "CHANGELOG.md");
    assert!(c.changelog.hidden.contains(&"chore".to_string()));
    assert_eq!(c.forge, ForgeConfig::default());
    let c = Config::parse(
        r#"
        [changelog]
        enabled = false
        path = "docs/CHANGES.md"
        workspace = "CHANGELOG.md"
        hidden = ["chore"]
        [changelog.sections]
        feat = "New"
        deps = "Dependencies"
        [forge]
        kind = "gitlab"
        repository = "group/sub/r"
        api-url = "https://gitlab.example.com/api/v4/"
        "#,
    )
    .unwrap();
    assert!(!c.changelog.enabled);
    assert_eq!(c.changelog.path, "docs/CHANGES.md");
    assert_eq!(c.changelog.workspace.as_deref(), Some("CHANGELOG.md"));
    assert_eq!(c.changelog.hidden, ["chore"]);
    assert_eq!(c.changelog.sections[0], ("feat".to_string(), "New".to_string()));
    assert_eq!(c.changelog.sections.last().unwrap(), &("deps".to_string(), "Dependencies".to_string()));
    assert_eq!(c.forge.kind.as_deref(), Some("gitlab"));
    assert_eq!(c.forge.repository.as_deref(), Some("group/sub/r"));
    assert_eq!(c.forge.api_url.as_deref(), Some("https://gitlab.example.com/api/v4"));
    let inline = Config::parse("changelog = { sections = { fix = \"Bug fixes\" } }").unwrap();
    assert_eq!(inline.changelog.sections[1].1, "Bug fixes");
    assert_eq!(code("[changelog]\nhiden = []"), Code::ConfigUnknownKey);
    assert_eq!(code("[changelog]\npath = '../x.md'"), Code::ConfigValue);
    assert_eq!(code("[changelog]\nsections = { feat = 1 }"), Code::ConfigValue);
    assert_eq!(code("[forge]\nkind = 'bitbucket'"), Code::ConfigValue);
    assert_eq!(code("[forge]\nrepository = 'justname'"), Code::ConfigValue);
    assert_eq!(code("[forge]\napi-url = 'api.github.com'"), Code::ConfigValue);
}

#[test]
fn smoke_tests_and_platform_tags() {
    let c = Config::parse(
        r#"
        [python]
        platform-tags = "any"
        publish-url = "https://upload.pypi.org/legacy/"
        [[smoke-tests]]
        package = "genkit-sample"
        import = []
        run = ["python", "-c", "import main"]
        [[smoke-tests]]
        package = "python:pydantic-ai-slim"
        import = ["pydantic_ai", "pydantic_ai.agent"]
        "#,
    )
    .unwrap();
    assert_eq!(c.platform_rule(), PlatformRule::Any, "the key wins over the publish URL");
    assert_eq!(c.smoke_tests[0].import.as_deref(), Some(&[][..]));
    assert_eq!(c.smoke_tests[0].run.as_ref().map(|r| r[0].as_str()), Some("python"));
    assert_eq!(c.smoke_tests[1].import.as_ref().unwrap()[1], "pydantic_ai.agent");
    assert_eq!(Config::default().platform_rule(), PlatformRule::Pypi);
    let test_pypi = Config::parse("[python]\npublish-url = 'https://test.pypi.org/legacy/'").unwrap();
    assert_eq!(test_pypi.platform_rule(), PlatformRule::Pypi);
    let local = Config::parse("[python]\npublish-url = 'http://127.0.0.1:8080/'").unwrap();
    assert_eq!(local.platform_rule(), PlatformRule::Any);
    assert_eq!(code("[python]\nplatform-tags = 'manylinux'"), Code::ConfigValue);
    assert_eq!(code("[[smoke-tests]]\npackage = 'a'"), Code::ConfigValue);
    assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nimport = ['genkit-plugin']"), Code::ConfigValue);
    assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nrun = []"), Code::ConfigValue);
    assert_eq!(code("[[smoke-tests]]\npackage = 'a'\nimports = []"), Code::ConfigUnknownKey);
    assert_eq!(code("[smoke-tests]\npackage = 'a'"), Code::ConfigValue);
}

#[test]
fn commit_conventions() {
    use crate::commits::Convention;
    assert_eq!(Config::default().convention, Convention::Conventional);
    assert_eq!(Config::parse("[commits]\nconvention = 'area'").unwrap().convention, Convention::Area);
    assert_eq!(Config::parse("[commits]\nconvention = 'conventional'").unwrap().convention, Convention::Conventional);
    assert_eq!(code("[commits]\nconvention = 'angular'"), Code::ConfigValue);
    assert_eq!(code("[commits]\nconvension = 'area'"), Code::ConfigUnknownKey);
    assert_eq!(code("[commit]\nconvention = 'area'"), Code::ConfigUnknownKey);
}

#[test]
fn ref_names() {
    for ok in ["a-v1.0.0", "v1.2.0rc1", "ns/a-1.0.0+local", "a@1.0"] {
        assert!(check_ref_name(ok).is_ok(), "{ok}");
    }
    for bad in ["a v1", "a..b", "a~1", "-a", "a.lock", "a/.b", "a/", "a^", "a:b", "@", "a\u{7f}"] {
        assert!(check_ref_name(bad).is_err(), "{bad}");
    }
}

/// crates.io's and PyPI's limits are built in; `[cargo.rate-limit]` replaces them action by action
/// (an account whose limits were raised, an alternative registry's), `false` lifts one.
#[test]
fn rate_limits_built_in_and_configured() {
    use crate::rate::{Limit, Limits};
    let default = Config::default();
    assert_eq!(default.rate_limits(Ecosystem::Cargo), Limits::CRATES_IO);
    assert_eq!(default.rate_limits(Ecosystem::Python), Limits::PYPI);
    assert!(default.pacing);
    let local = Config::parse("[cargo]\nregistry = 'local'\n[python]\npublish-url = 'http://127.0.0.1:9/'").unwrap();
    assert_eq!(local.rate_limits(Ecosystem::Cargo), Limits::default());
    assert_eq!(local.rate_limits(Ecosystem::Python), Limits::default());

    let raised = Config::parse(
        "[cargo.rate-limit]\nnew = { burst = 5, every-seconds = 2 }\nupdate = false\n[release]\npacing = false",
    )
    .unwrap();
    let limits = raised.rate_limits(Ecosystem::Cargo);
    assert_eq!(limits.new, Some(Limit::new(5, 2)));
    assert_eq!(limits.update, None);
    assert_eq!(limits.yank, Limits::CRATES_IO.yank);
    assert!(!raised.pacing);
    let alt = Config::parse("[cargo]\nregistry = 'corp'\nrate-limit = { update = { burst = 10, every-seconds = 30 } }");
    assert_eq!(alt.unwrap().rate_limits(Ecosystem::Cargo).update, Some(Limit::new(10, 30)));

    assert_eq!(code("[cargo.rate-limit]\nnwe = false"), Code::ConfigUnknownKey);
    assert_eq!(code("[cargo.rate-limit]\nnew = { burst = 0, every-seconds = 600 }"), Code::ConfigValue);
    assert_eq!(code("[cargo.rate-limit]\nnew = { burst = 5 }"), Code::ConfigValue);
    assert_eq!(
        code("[cargo.rate-limit]\nnew = { burst = 5, every-seconds = 60, per = 'user' }"),
        Code::ConfigUnknownKey
    );
    assert_eq!(code("[cargo]\nrate-limit = 5"), Code::ConfigValue);
    assert_eq!(code("[release]\npacing = 'yes'"), Code::ConfigValue);
}

#[test]
fn the_release_pull_request_branch() {
    assert_eq!(Config::parse("").unwrap().pr_branch, "release/next");
    assert_eq!(Config::parse("[release]\npr-branch = 'releases/pending'").unwrap().pr_branch, "releases/pending");
    assert_eq!(code("[release]\npr-branch = 'release..next'"), Code::ConfigValue);
    assert_eq!(code("[release]\npr-branch = 1"), Code::ConfigValue);
}
