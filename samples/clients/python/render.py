#!/usr/bin/env python3
"""Call docsmith from Python with the standard library only (urllib).

    python3 render.py [OUT_DIR] [IMAGE ...]

The server is $DOCSMITH_URL (default http://localhost:8080); $DOCSMITH_KEY,
when set, is sent as `Authorization: Bearer KEY`. Writes the invoice PDF, the
sales workbook and, given two or more images, a ZIP of them as WebP into
OUT_DIR (default ./out), then shows how a rejected job reads.
"""

import json
import os
import shutil
import sys
import urllib.error
import urllib.request
import uuid
from pathlib import Path

BASE_URL = os.environ.get("DOCSMITH_URL", "http://localhost:8080").rstrip("/")
API_KEY = os.environ.get("DOCSMITH_KEY")
SAMPLES = Path(__file__).resolve().parents[2]  # the repository's samples/


class Problem(Exception):
    """An RFC 9457 application/problem+json answer."""

    def __init__(self, problem):
        super().__init__(f"{problem['status']} {problem['title']}: {problem.get('detail', '')}")
        self.problem = problem


def post(path, body, content_type, save_to):
    """POST body to the service and stream the document into save_to."""
    headers = {"Content-Type": content_type}
    if API_KEY:
        headers["Authorization"] = f"Bearer {API_KEY}"
    request = urllib.request.Request(BASE_URL + path, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=120) as response, open(save_to, "wb") as out:
            shutil.copyfileobj(response, out)
    except urllib.error.HTTPError as err:
        if err.headers.get_content_type() == "application/problem+json":
            raise Problem(json.load(err)) from None
        raise
    print(f"saved {save_to} ({Path(save_to).stat().st_size} bytes)")


def render(job, save_to):
    """POST /v1/render with a JSON job."""
    post("/v1/render", json.dumps(job).encode(), "application/json", save_to)


def multipart(fields, files):
    """Encode form fields and (name, path) files as multipart/form-data."""
    boundary = uuid.uuid4().hex
    body = bytearray()
    for name, value in fields.items():
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                 f"{value}\r\n").encode()
    for name, path in files:
        body += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                 f'filename="{Path(path).name}"\r\n'
                 f"Content-Type: application/octet-stream\r\n\r\n").encode()
        body += Path(path).read_bytes() + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def main():
    out_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "out")
    images = sys.argv[2:]
    out_dir.mkdir(parents=True, exist_ok=True)

    # 1. The built-in invoice template with the sample's data, as PDF.
    invoice = json.loads((SAMPLES / "pdf-invoice.json").read_text(encoding="utf-8"))
    render(invoice, out_dir / "invoice.pdf")

    # 2. An Excel workbook.
    report = json.loads((SAMPLES / "xlsx-sales-report.json").read_text(encoding="utf-8"))
    render(report, out_dir / "sales-report.xlsx")

    # 3. Photos resized to WebP; several files come back as one ZIP.
    if len(images) >= 2:
        body, content_type = multipart({"format": "webp", "width": "800"},
                                       [("files", path) for path in images])
        post("/v1/images", body, content_type, out_dir / "photos.zip")
    else:
        print("no images given (two or more): skipping POST /v1/images")

    # 4. A job the service rejects: 422 with every problem and its JSON pointer.
    bad = {"format": "xlsx", "workbook": {"sheets": [{"name": "S",
           "columns": [{"header": "N", "type": "number"}], "rows": [["ten"]]}]}}
    try:
        render(bad, out_dir / "bad.xlsx")
    except Problem as err:
        print(f"rejected as expected: {err}")
        for error in err.problem.get("errors", []):
            print(f"  {error['pointer']}: {error['message']}")
    else:
        sys.exit("the bad job was accepted")


if __name__ == "__main__":
    try:
        main()
    except (Problem, urllib.error.URLError) as err:  # e.g. 401 without a key, 503 when busy
        sys.exit(f"docsmith: {err}")
