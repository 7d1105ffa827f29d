//! Defects found by schema fuzzing (scripts/fuzz-api.sh), kept fixed.

use chorus_tests::{TestApp, both};
use reqwest::StatusCode;
use serde_json::json;

both! { renaming_a_value_to_a_taken_name_is_a_documented_conflict }

async fn renaming_a_value_to_a_taken_name_is_a_documented_conflict(app: TestApp) {
    let admin = app.org_admin("Acme", "admin@acme.test").await;
    let mut ids = Vec::new();
    for name in ["Own it", "Be kind"] {
        let (status, value) = app
            .post(
                "/api/v1/admin/recognition/values",
                admin.token(),
                json!({ "name": name, "description": "" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{value}");
        ids.push(value["id"].as_str().expect("id").to_owned());
    }
    let path = format!("/api/v1/admin/recognition/values/{}", ids[1]);
    let (status, problem) = app
        .patch(&path, admin.token(), json!({ "name": "Own it" }))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "duplicate_value");
    let doc = serde_json::to_value(chorus::http::openapi_document()).expect("document");
    assert!(
        doc["paths"]["/api/v1/admin/recognition/values/{id}"]["patch"]["responses"]
            .get("409")
            .is_some()
    );
    // Nothing changed, and a free name still works.
    let (_, values) = app.get("/api/v1/recognition/values", admin.token()).await;
    let names: Vec<&str> = values["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    assert!(
        names.contains(&"Be kind") && names.contains(&"Own it"),
        "{names:?}"
    );
    let (status, _) = app
        .patch(&path, admin.token(), json!({ "name": "Be brave" }))
        .await;
    assert_eq!(status, StatusCode::OK);
}
