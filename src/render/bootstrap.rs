//! The Terraform root `stackform bootstrap` writes for itself under `.stackform/bootstrap/`:
//! an environment's state bucket with versioning, encryption and public access blocked, and
//! the `import` blocks that adopt a bucket another machine created.
//!
//! This root is stackform's own working copy, not a generated file of the project: it is
//! rewritten on every run, keeps its state locally next to it, and in emulator mode also
//! carries the provider settings an emulator needs.

use super::hcl::{B, b, body, bool, r, s};
use super::hcl_text;
use super::module::versions_block;

/// The four resources of the bootstrap root, in the order they are created.
pub const RESOURCES: [&str; 4] = [
    "aws_s3_bucket.this",
    "aws_s3_bucket_versioning.this",
    "aws_s3_bucket_server_side_encryption_configuration.this",
    "aws_s3_bucket_public_access_block.this",
];

/// What the root needs to know.
pub struct Bucket<'a> {
    pub name: &'a str,
    pub region: &'a str,
    /// Version constraint on hashicorp/aws, from the model.
    pub aws_provider: &'a str,
    /// Emulator mode: path-style S3 and no checks against real AWS accounts.
    pub emulator: bool,
}

fn resource(kind: &str) -> B {
    b("resource", [kind, "this"])
}

fn bucket_ref(kind: &str) -> B {
    resource(kind).attr("bucket", r("aws_s3_bucket.this.id"))
}

/// `main.tf` of the bootstrap root.
pub fn main_tf(bucket: &Bucket) -> String {
    let mut provider = b("provider", ["aws"]).attr("region", s(bucket.region));
    if bucket.emulator {
        provider = provider
            .attr("s3_use_path_style", bool(true))
            .attr("skip_credentials_validation", bool(true))
            .attr("skip_requesting_account_id", bool(true))
            .attr("skip_metadata_api_check", bool(true))
            .attr("max_retries", super::hcl::num(2));
    }
    let blocks = vec![
        versions_block(bucket.aws_provider),
        provider.build(),
        resource("aws_s3_bucket")
            .attr("bucket", s(bucket.name))
            // The bucket holds every environment's state: terraform must never delete it.
            .block(b("lifecycle", []).attr("prevent_destroy", bool(true)))
            .build(),
        bucket_ref("aws_s3_bucket_versioning")
            .block(b("versioning_configuration", []).attr("status", s("Enabled")))
            .build(),
        bucket_ref("aws_s3_bucket_server_side_encryption_configuration")
            .block(b("rule", []).block(
                b("apply_server_side_encryption_by_default", []).attr("sse_algorithm", s("AES256")),
            ))
            .build(),
        bucket_ref("aws_s3_bucket_public_access_block")
            .attr("block_public_acls", bool(true))
            .attr("block_public_policy", bool(true))
            .attr("ignore_public_acls", bool(true))
            .attr("restrict_public_buckets", bool(true))
            .build(),
    ];
    hcl_text(&body(blocks), &[])
}

/// `imports.tf`: one `import` block per address in `addresses`, all with the bucket's name as
/// the id (each of the four resources is imported by it).
pub fn imports_tf(bucket: &str, addresses: &[&str]) -> String {
    let blocks = addresses.iter().map(|address| {
        b("import", [])
            .attr("to", r(address))
            .attr("id", s(bucket))
            .build()
    });
    hcl_text(&body(blocks), &[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bucket_is_protected_and_locked_down() {
        let text = main_tf(&Bucket {
            name: "e-com67-terraform-state",
            region: "eu-west-1",
            aws_provider: ">= 5.100, < 7.0",
            emulator: false,
        });
        for want in [
            "bucket = \"e-com67-terraform-state\"",
            "prevent_destroy = true",
            "status = \"Enabled\"",
            "sse_algorithm = \"AES256\"",
            "block_public_acls       = true",
            "block_public_policy     = true",
            "ignore_public_acls      = true",
            "restrict_public_buckets = true",
            "region = \"eu-west-1\"",
            "version = \">= 5.100, < 7.0\"",
        ] {
            assert!(text.contains(want), "{want} missing from:\n{text}");
        }
        assert!(!text.contains("s3_use_path_style"), "{text}");
        let parsed: hcl::Body = hcl::from_str(&text).expect("the root parses");
        assert_eq!(
            parsed
                .blocks()
                .filter(|b| b.identifier() == "resource")
                .count(),
            4
        );
    }

    #[test]
    fn emulator_roots_use_path_style_and_imports_name_the_bucket() {
        let text = main_tf(&Bucket {
            name: "b",
            region: "us-east-1",
            aws_provider: ">= 5.100, < 7.0",
            emulator: true,
        });
        assert!(
            text.contains("s3_use_path_style           = true"),
            "{text}"
        );
        let imports = imports_tf("b", &RESOURCES[..2]);
        assert_eq!(
            imports,
            "import {\n  to = aws_s3_bucket.this\n  id = \"b\"\n}\n\nimport {\n  to = \
             aws_s3_bucket_versioning.this\n  id = \"b\"\n}\n"
        );
    }
}
