//! `docsmith render` and `docsmith validate`: the same pipeline without a server.

use std::process::Command;

use serde_json::json;

use crate::support::*;

#[test]
fn render_writes_the_file_named_by_output() {
    let dir = temp_dir("render");
    let job_path = dir.join("job.json");
    std::fs::write(&job_path, sales_job(12).to_string()).expect("write job");
    let out = dir.join("out.xlsx");
    let run = docsmith(
        &[
            "render",
            job_path.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let bytes = std::fs::read(&out).expect("output written");
    let sheets = read_xlsx(&bytes);
    assert_eq!(sheets[0].1.len(), 13);
    assert!(!dir.join("out.xlsx.partial").exists());
}

#[test]
fn render_writes_into_a_pipe_named_by_output() {
    // `-o /dev/null` and `-o some-fifo` must write into the special file,
    // not replace it with a regular one (checked on a FIFO: harmless).
    let dir = temp_dir("fifo");
    let fifo = dir.join("out.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(&fifo).expect("read the FIFO"))
    };
    let job = repo_path("samples/pdf-invoice.json");
    let run = docsmith(
        &[
            "render",
            job.to_str().expect("utf-8"),
            "-o",
            fifo.to_str().expect("utf-8"),
        ],
        None,
    );
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    // Checked before joining: a replaced FIFO leaves the reader blocked.
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(&fifo).expect("still there").file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced");
    let bytes = reader.join().expect("reader thread");
    assert!(bytes.starts_with(b"%PDF-"), "the PDF went through the FIFO");
    let left: Vec<_> = std::fs::read_dir(&dir).expect("dir").collect();
    assert_eq!(left.len(), 1, "nothing but the FIFO is left");
}

#[test]
fn render_to_stdout_from_stdin() {
    let job = sales_job(3).to_string();
    let run = docsmith(&["render", "-", "-o", "-"], Some(job.as_bytes()));
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(read_xlsx(&run.stdout)[0].1.len(), 4);
}

#[test]
fn render_defaults_to_the_job_filename() {
    let dir = temp_dir("default-name");
    let job_path = dir.join("job.json");
    std::fs::write(&job_path, sales_job(1).to_string()).expect("write job");
    let run = Command::new(env!("CARGO_BIN_EXE_docsmith"))
        .args(["render", "job.json"])
        .current_dir(&dir)
        .output()
        .expect("docsmith runs");
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(dir.join("sales.xlsx").is_file());
}

#[test]
fn invalid_job_exits_2_and_lists_pointers() {
    let job = json!({"format": "xlsx", "workbook": {"sheets": [{
        "name": "S", "columns": [{"header": "N", "type": "number"}], "rows": [["x"], [1], ["y"]]
    }]}});
    let run = docsmith(
        &["render", "-", "-o", "-"],
        Some(job.to_string().as_bytes()),
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(run.stdout.is_empty(), "no document on failure");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("/workbook/sheets/0/rows/0/0"), "{stderr}");
    assert!(stderr.contains("/workbook/sheets/0/rows/2/0"), "{stderr}");

    let run = docsmith(&["validate", "-"], Some(b"{\"format\": \"xlsx\",\n oops"));
    assert_eq!(run.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("line 2"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

#[test]
fn render_checks_file_arguments() {
    let run = docsmith(
        &["render", "-", "--file", "logo=/no/such/file.png"],
        Some(b"{}"),
    );
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("logo"));
}

#[test]
fn validate_accepts_the_samples() {
    for name in ["xlsx-sales-report.json", "xlsx-all-types.json"] {
        let path = repo_path(&format!("samples/{name}"));
        let run = docsmith(&["validate", path.to_str().expect("utf-8")], None);
        assert!(
            run.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&run.stderr)
        );
    }
}

#[test]
fn fonts_dir_adds_families_and_refuses_files_that_are_not_fonts() {
    let dejavu = std::path::Path::new("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf");
    assert!(
        dejavu.is_file(),
        "{} missing: install the Debian package fonts-dejavu-core",
        dejavu.display()
    );
    let dir = temp_dir("fonts");
    let fonts = dir.join("fonts");
    std::fs::create_dir_all(&fonts).expect("fonts dir");
    std::fs::copy(dejavu, fonts.join("DejaVuSans.ttf")).expect("copy font");
    let job = dir.join("job.json");
    let markup = "<document><p font=\"DejaVu Sans\">Hello from an added font</p></document>";
    std::fs::write(
        &job,
        json!({"format": "pdf", "template_source": markup}).to_string(),
    )
    .expect("write job");
    let out = dir.join("out.pdf");
    let fonts_arg = fonts.to_str().expect("utf-8 path");
    let args = [
        "render",
        job.to_str().expect("utf-8 path"),
        "-o",
        out.to_str().expect("utf-8 path"),
        "--fonts-dir",
        fonts_arg,
    ];
    let run = docsmith(&args, None);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let listed = Command::new("pdffonts")
        .arg(&out)
        .output()
        .expect("pdffonts runs (Debian package poppler-utils)");
    let listed = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.contains("DejaVuSans"), "{listed}");

    // Without the directory the family is unknown: exit 2 with the problem.
    let run = docsmith(&args[..4], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("font"));

    // A file that is not a font stops the start with its name.
    std::fs::write(fonts.join("broken.ttf"), b"not a font").expect("write");
    let run = docsmith(&args, None);
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("broken.ttf"),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_long_table_stops_at_the_render_timeout() {
    let dir = temp_dir("timeout");
    let job = dir.join("job.json");
    let markup = "<document><table columns=\"* *\">{% for i in range(60000) %}<tr><td>{{ i }}</td><td>row {{ i }}</td></tr>{% endfor %}</table></document>";
    std::fs::write(
        &job,
        json!({"format": "pdf", "template_source": markup}).to_string(),
    )
    .expect("write job");
    let out = dir.join("out.pdf");
    let started = std::time::Instant::now();
    let run = docsmith(
        &[
            "render",
            job.to_str().expect("utf-8 path"),
            "-o",
            out.to_str().expect("utf-8 path"),
            "--timeout",
            "300ms",
        ],
        None,
    );
    let elapsed = started.elapsed();
    assert!(!run.status.success(), "the render should have been stopped");
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("deadline"), "{stderr}");
    assert!(!out.exists(), "no output is left behind");
    // Template, markup and lowering of 60,000 rows run before layout checks
    // the clock; the layout itself stops within a few dozen rows.
    assert!(elapsed < std::time::Duration::from_secs(60), "{elapsed:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// The built-in templates are compiled in: the binary renders them from any
/// working directory. A templates directory that is named but missing
/// stops the command instead of leaving an empty catalog.
#[test]
fn builtin_templates_need_no_files_and_a_missing_directory_is_an_error() {
    let dir = temp_dir("elsewhere");
    let job = std::fs::read(repo_path("samples/pdf-invoice.json")).expect("sample");
    let run = Command::new(env!("CARGO_BIN_EXE_docsmith"))
        .args(["render", "-", "-o", "invoice.pdf"])
        .current_dir(&dir)
        .env_remove("DOCSMITH_TEMPLATES_DIR")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().expect("stdin").write_all(&job)?;
            child.wait_with_output()
        })
        .expect("docsmith runs");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let pdf = std::fs::read(dir.join("invoice.pdf")).expect("written");
    assert!(pdf.starts_with(b"%PDF-"));

    let missing = dir.join("no-such-templates");
    let path = repo_path("samples/pdf-invoice.json");
    let run = docsmith(
        &[
            "render",
            path.to_str().expect("utf-8"),
            "--templates-dir",
            missing.to_str().expect("utf-8"),
            "-o",
            "-",
        ],
        None,
    );
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("no-such-templates"), "{stderr}");
}

#[test]
fn templates_lists_the_catalog_and_prints_a_sample_job_that_renders() {
    let run = docsmith(&["templates"], None);
    assert!(run.status.success());
    let list = String::from_utf8_lossy(&run.stdout);
    let names: Vec<&str> = list
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["invoice", "letter", "report"], "{list}");
    assert!(list.contains("pdf,docx"), "{list}");

    let run = docsmith(&["templates", "invoice"], None);
    assert!(run.status.success());
    let job: serde_json::Value = serde_json::from_slice(&run.stdout).expect("a JSON job");
    assert_eq!(job["template"], "invoice");
    assert_eq!(job["data"], sample("pdf-invoice.json")["data"]);
    // The printed job renders as it is.
    let run = docsmith(&["render", "-", "-o", "-", "-q"], Some(&run.stdout));
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(run.stdout.starts_with(b"%PDF-"));

    let run = docsmith(&["templates", "invoce"], None);
    assert_eq!(run.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&run.stderr).contains("invoice, letter, report"));
}

#[test]
fn validate_reads_files_named_on_the_command_line() {
    let dir = temp_dir("validate-files");
    let png = dir.join("logo.png");
    image::RgbImage::from_pixel(4, 4, image::Rgb([200, 30, 30]))
        .save(&png)
        .expect("png written");
    let job = dir.join("job.json");
    std::fs::write(
        &job,
        json!({"format": "pdf", "template_source": "<document><img src=\"file:logo\" width=\"20pt\"/></document>"})
            .to_string(),
    )
    .expect("job written");
    let job = job.to_str().expect("utf-8");
    let without = docsmith(&["validate", job], None);
    assert_eq!(without.status.code(), Some(2));
    let with = format!("logo={}", png.to_str().expect("utf-8"));
    let run = docsmith(&["validate", job, "--file", &with], None);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}
