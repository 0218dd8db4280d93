//! Pull requests (GitLab: merge requests) for `release-pr`: find the open one
//! whose head is the release branch, open one, update its title and body.
//! GitHub `GET …/pulls?head=OWNER:BRANCH&state=open`, `POST …/pulls`,
//! `PATCH …/pulls/{number}`; Gitea/Forgejo the same paths under `/api/v1`
//! (its list has no head filter: the head is matched here); GitLab
//! `GET …/merge_requests?state=opened&source_branch=BRANCH`, `POST …/merge_requests`,
//! `PUT …/merge_requests/{iid}`.

use super::client::{Answer, Client};
use super::{encode, fit_body, ForgeTarget, Kind};
use crate::error::{fail, Code};

/// A pull request to open, or the new title and body of the open one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPull {
    pub title: String,
    /// Markdown; cut to the forge's limit here.
    pub body: String,
    /// The branch with the changes (`release/next`).
    pub head: String,
    /// The branch it merges into (`main`).
    pub base: String,
}

/// A pull request on the forge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pull {
    /// GitHub and Gitea `number`, GitLab `iid`.
    pub number: u64,
    pub url: Option<String>,
    pub title: String,
    /// GitHub and Gitea `body`, GitLab `description`.
    pub body: String,
}

impl Pull {
    /// Whether it already has `new`'s title and body (the body as it is sent:
    /// cut to the forge's limit), so that updating it would change nothing.
    pub fn shows(&self, kind: Kind, new: &NewPull) -> bool {
        self.title == new.title && self.body == fit_body(kind, &new.body, None)
    }
}

impl ForgeTarget {
    fn pulls_url(&self) -> String {
        match self.kind {
            Kind::GitLab => format!("{}/merge_requests", self.repo_url()),
            Kind::GitHub | Kind::Gitea => format!("{}/pulls", self.repo_url()),
        }
    }

    /// The request that finds the open pull request of `head`.
    fn find_pull_url(&self, head: &str) -> String {
        let owner = self.repository.split('/').next().unwrap_or("");
        match self.kind {
            Kind::GitHub => format!("{}?head={}&state=open", self.pulls_url(), encode(&format!("{owner}:{head}"))),
            Kind::Gitea => format!("{}?state=open&limit=50", self.pulls_url()),
            Kind::GitLab => format!("{}?state=opened&source_branch={}", self.pulls_url(), encode(head)),
        }
    }

    /// What updating pull request `number` is, for a dry run to print.
    pub fn update_pull_call(&self, number: u64) -> String {
        let method = if self.kind == Kind::GitLab { "PUT" } else { "PATCH" };
        format!("{method} {}/{number}", self.pulls_url())
    }

    /// What opening a pull request is, for a dry run to print.
    pub fn open_pull_call(&self) -> String {
        format!("POST {}", self.pulls_url())
    }

    /// The word the forge uses: pull request, or merge request on GitLab.
    pub fn pull_word(&self) -> &'static str {
        if self.kind == Kind::GitLab {
            "merge request"
        } else {
            "pull request"
        }
    }
}

impl Client {
    /// The open pull request whose head is `head` (in this repository), if any.
    pub fn find_pull(&self, head: &str) -> anyhow::Result<Option<Pull>> {
        let a = self.send("GET", &self.target.find_pull_url(head), None)?;
        if !(200..=299).contains(&a.status) {
            return Err(self.pull_rejected("list the open pull requests", &a));
        }
        let listed: serde_json::Value = serde_json::from_str(&a.body).unwrap_or_default();
        let found = listed.as_array().into_iter().flatten().find(|p| match self.target.kind {
            Kind::GitLab => p["source_branch"].as_str() == Some(head),
            // GitHub filtered by head already; Gitea lists all open ones
            Kind::GitHub | Kind::Gitea => p["head"]["ref"].as_str() == Some(head),
        });
        Ok(found.map(pull_of))
    }

    /// Opens a pull request of `new.head` into `new.base`.
    pub fn open_pull(&self, new: &NewPull) -> anyhow::Result<Pull> {
        let body = fit_body(self.target.kind, &new.body, None);
        let json = match self.target.kind {
            Kind::GitHub | Kind::Gitea => serde_json::json!({
                "title": new.title, "head": new.head, "base": new.base, "body": body,
            }),
            Kind::GitLab => serde_json::json!({
                "title": new.title, "source_branch": new.head, "target_branch": new.base,
                "description": body, "remove_source_branch": true,
            }),
        };
        let a = self.send("POST", &self.target.pulls_url(), Some(&json))?;
        match a.status {
            200..=299 => Ok(pull_of(&serde_json::from_str(&a.body).unwrap_or_default())),
            _ => Err(self.pull_rejected("open the release pull request", &a)),
        }
    }

    /// Sets the title and body of pull request `number`.
    pub fn update_pull(&self, number: u64, new: &NewPull) -> anyhow::Result<Pull> {
        let body = fit_body(self.target.kind, &new.body, None);
        let (method, json) = match self.target.kind {
            Kind::GitHub | Kind::Gitea => ("PATCH", serde_json::json!({"title": new.title, "body": body})),
            Kind::GitLab => ("PUT", serde_json::json!({"title": new.title, "description": body})),
        };
        let a = self.send(method, &format!("{}/{number}", self.target.pulls_url()), Some(&json))?;
        match a.status {
            200..=299 => Ok(pull_of(&serde_json::from_str(&a.body).unwrap_or_default())),
            _ => Err(self.pull_rejected(&format!("update pull request #{number}"), &a)),
        }
    }

    fn pull_rejected(&self, what: &str, a: &Answer) -> anyhow::Error {
        fail(
            Code::ForgeRejected,
            format!("{} could not {what}: HTTP {}{}", self.target.kind.title(), a.status, self.message(&a.body)),
            format!(
                "check [forge] repository (now `{}`), that the token may write pull requests, and what the forge says",
                self.target.repository
            ),
        )
    }
}

fn pull_of(v: &serde_json::Value) -> Pull {
    let number = v["number"].as_u64().or_else(|| v["iid"].as_u64()).unwrap_or(0);
    let url = v["html_url"].as_str().or_else(|| v["web_url"].as_str()).map(str::to_string);
    let text = |k: &str| v[k].as_str().unwrap_or("").to_string();
    let body = v["body"].as_str().or_else(|| v["description"].as_str()).unwrap_or("").to_string();
    Pull { number, url, title: text("title"), body }
}
