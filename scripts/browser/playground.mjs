// The playground (GET /) in headless Chromium, as a user would use it:
// render the invoice and see the PDF in the page, get a validation error on
// the line of the data that causes it, download the invoice as DOCX and a
// workbook as XLSX, and drop two images to get a ZIP back.
//
//   node scripts/browser/playground.mjs BASE_URL ARTIFACT_DIR
//
// Run by scripts/browser_test.sh, which starts the server. Every check that
// fails is printed; the exit status is the number of failures. Screenshots
// and downloads land in ARTIFACT_DIR.

import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { deflateSync } from "node:zlib";
import { chromium } from "playwright-core";

const [base, artifacts] = process.argv.slice(2);
if (!base || !artifacts) {
  console.error("usage: node playground.mjs BASE_URL ARTIFACT_DIR");
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

let failures = 0;
function check(ok, what, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${detail ? ": " + detail : ""}`);
  if (!ok) failures++;
}

// An RGB PNG with a gradient, so a resize has something to do.
function png(width, height, seed) {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type, data) => {
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    out.write(type, 4, "latin1");
    data.copy(out, 8);
    out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // RGB
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = (x * 255) / width;
      raw[row + 2 + x * 3] = (y * 255) / height;
      raw[row + 3 + x * 3] = seed;
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  headless: true,
  // No sandbox (CI runs as root); nothing that calls out to Google's hosts.
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1440, height: 1000 } });
const page = await context.newPage();
const consoleErrors = [];
page.on("console", (m) => {
  // The browser logs every 4xx fetch; a 422 from /v1/validate, or from
  // /v1/render of the broken data, is the page doing its job (step 3).
  const expected = m.text().includes("status of 422") && /\/v1\/(validate|render)$/.test(m.location().url);
  if (m.type() === "error" && !expected) consoleErrors.push(`${m.text()} (${m.location().url})`);
});
page.on("pageerror", (e) => consoleErrors.push(e.message));

// Saves a download and returns its bytes and suggested name.
async function download(action) {
  const [dl] = await Promise.all([page.waitForEvent("download", { timeout: 60_000 }), action()]);
  const path = join(artifacts, dl.suggestedFilename());
  await dl.saveAs(path);
  return { name: dl.suggestedFilename(), path, bytes: readFileSync(path) };
}

try {
  // 1. The page loads with the templates and the first one's sample data.
  await page.goto(base + "/", { waitUntil: "load" });
  await page.waitForFunction(() => document.querySelectorAll("#example option").length > 0, null, { timeout: 15_000 });
  const names = await page.$$eval("#example option", (os) => os.map((o) => o.textContent));
  check(names.some((n) => n.startsWith("invoice")), "the template list has the invoice", names.join(", "));
  check(names.some((n) => n.includes("XLSX")), "the example list has an XLSX job", names.join(", "));
  const invoice = names.findIndex((n) => n.startsWith("invoice"));
  await page.selectOption("#example", String(invoice));
  const data = JSON.parse(await page.inputValue("#data"));
  check(typeof data.invoice?.number === "string", "the editor holds the invoice's sample data", data.invoice?.number);
  await page.waitForSelector("#check-status.ok", { timeout: 15_000 });
  check(true, "the sample data validates");

  // 2. Render to PDF: the preview frame shows the document.
  await page.selectOption("#format", "pdf");
  await page.click("#render");
  const frame = await page.waitForSelector("#pdf-frame", { timeout: 60_000 });
  const src = await frame.getAttribute("src");
  check(src?.startsWith("blob:"), "the preview frame shows the rendered document", src);
  // What the frame shows: a PDF, and the browser shows it as one.
  const pdf = Buffer.from(await page.evaluate(async (url) => {
    const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
    return Array.from(bytes);
  }, src));
  check(pdf.subarray(0, 5).toString("latin1") === "%PDF-", "the preview is a PDF", `${pdf.length} bytes`);
  const shown = page.frames().find((f) => f.url() === src);
  const contentType = shown ? await shown.evaluate(() => document.contentType).catch((e) => e.message) : "no frame";
  check(contentType === "application/pdf", "the browser shows the frame as a PDF", contentType);
  writeFileSync(join(artifacts, "preview.pdf"), pdf);
  const text = execFileSync("pdftotext", [join(artifacts, "preview.pdf"), "-"]).toString();
  check(text.includes(data.invoice.number), "the PDF has the invoice number", data.invoice.number);
  // Chromium's PDF viewer draws the page inside the frame.
  const frameBox = await frame.boundingBox();
  check(frameBox && frameBox.width > 300 && frameBox.height > 400, "the preview frame is visible", JSON.stringify(frameBox));
  await page.waitForTimeout(2000);
  await page.screenshot({ path: join(artifacts, "playground.png") });

  // 3. A data error shows under the editor and marks its line.
  const broken = structuredClone(data);
  delete broken.invoice.number;
  await page.fill("#data", JSON.stringify(broken, null, 2));
  await page.waitForSelector("#errors li", { timeout: 15_000 });
  const error = await page.textContent("#errors li");
  check(error.includes("/data/invoice/number"), "the error points at the missing field", error);
  check(/line \d+/.test(error), "the error names its line in the editor", error);
  const marked = await page.$$eval(".gutter .err", (spans) => spans.map((s) => Number(s.textContent)));
  const invoiceLine = JSON.stringify(broken, null, 2).split("\n").findIndex((l) => l.includes('"invoice"')) + 1;
  check(marked.includes(invoiceLine), "the gutter marks the line of the object missing it", `marked ${marked}, invoice at ${invoiceLine}`);
  // Rendering it anyway answers 422 and puts the cursor on that line.
  await page.click("#render");
  await page.waitForFunction(() => document.querySelector("#render-status").textContent.startsWith("422"), null, { timeout: 30_000 });
  const cursorLine = await page.$eval("#data", (t) => t.value.slice(0, t.selectionStart).split("\n").length);
  check(cursorLine === invoiceLine, "a refused render selects the problem in the editor", `line ${cursorLine}`);
  await page.screenshot({ path: join(artifacts, "playground-error.png") });
  await page.click("#reset");
  await page.waitForSelector("#check-status.ok", { timeout: 15_000 });

  // 4. DOCX downloads.
  await page.selectOption("#format", "docx");
  const docx = await download(() => page.click("#render"));
  check(docx.name.endsWith(".docx") && docx.bytes.subarray(0, 2).toString() === "PK", "the invoice downloads as DOCX", `${docx.name}, ${docx.bytes.length} bytes`);
  const docxEntries = execFileSync("unzip", ["-Z1", docx.path]).toString();
  check(docxEntries.includes("word/document.xml"), "the DOCX has word/document.xml");

  // 5. An XLSX example downloads.
  const xlsxIndex = names.findIndex((n) => n.includes("XLSX"));
  await page.selectOption("#example", String(xlsxIndex));
  await page.waitForSelector("#check-status.ok", { timeout: 15_000 });
  const xlsx = await download(() => page.click("#render"));
  const xlsxEntries = execFileSync("unzip", ["-Z1", xlsx.path]).toString();
  check(xlsx.name.endsWith(".xlsx") && xlsxEntries.includes("xl/workbook.xml"), "the workbook downloads as XLSX", `${xlsx.name}, ${xlsx.bytes.length} bytes`);

  // 6. Two images in, one ZIP out, with progress shown.
  await page.setInputFiles("#image-files", [
    { name: "sunrise.png", mimeType: "image/png", buffer: png(1200, 800, 40) },
    { name: "dusk.png", mimeType: "image/png", buffer: png(900, 1200, 200) },
  ]);
  const rows = await page.$$eval("#file-list tr", (trs) => trs.length);
  check(rows === 2, "the drop zone lists two files", String(rows));
  await page.selectOption("#img-format", "webp");
  await page.fill("#img-width", "400");
  const zip = await download(() => page.click("#convert"));
  const entries = execFileSync("unzip", ["-Z1", zip.path]).toString().trim().split("\n");
  const images = entries.filter((e) => e !== "manifest.json");
  check(zip.name.endsWith(".zip") && images.length === 2, "two images make a ZIP with two entries (and its manifest)", entries.join(", "));
  check(images.every((e) => e.endsWith(".webp")), "the entries are WebP", images.join(", "));
  execFileSync("unzip", ["-tq", zip.path]);
  const manifest = JSON.parse(execFileSync("unzip", ["-p", zip.path, "manifest.json"]).toString());
  const widths = manifest.files?.map((f) => f.width) ?? JSON.stringify(manifest);
  check(Array.isArray(widths) && widths.every((w) => w === 400), "each image is 400 pixels wide", String(widths));
  const progress = await page.$eval("#img-progress", (p) => p.value);
  check(progress === 1, "the progress bar is full", String(progress));
  const status = await page.textContent("#img-status");
  check(status.startsWith("done"), "the status says done", status);
  await page.screenshot({ path: join(artifacts, "playground-images.png"), fullPage: true });

  // The API reference lists every operation of the OpenAPI document, and
  // its "Try it" sends the selected example.
  const spec = await (await fetch(base + "/openapi.json")).json();
  const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`)).sort();
  await page.goto(base + "/docs", { waitUntil: "load" });
  await page.waitForSelector("nav a[href='#schemas']");
  const listed = (await page.$$eval("nav a", (links) => links.map((a) => a.textContent)))
    .filter((t) => t !== "all schemas").sort();
  check(JSON.stringify(listed) === JSON.stringify(operations), "/docs lists every route of /openapi.json",
    `${listed.length} listed, ${operations.length} in the document`);
  check(operations.includes("POST /v1/render") && operations.includes("GET /"), "the document has the render route and the playground",
    operations.join(", "));
  const render = page.locator("section#post-v1-render");
  const picked = await render.locator("select[aria-label=example]").first().evaluate((select) => {
    const option = [...select.options].find((o) => o.textContent.startsWith("pdf-invoice"));
    if (!option) return null;
    select.value = option.value;
    select.dispatchEvent(new Event("change"));
    return option.textContent;
  });
  check(picked !== null, "/docs offers the pdf-invoice example for POST /v1/render", String(picked));
  await render.getByRole("button", { name: "Try it", exact: true }).click();
  const result = render.locator(":scope > .result");
  await result.locator("a[download]").waitFor({ timeout: 30000 });
  const answer = await result.textContent();
  check(answer.startsWith("200") && answer.includes("application/pdf"), "/docs renders the invoice example", answer.slice(0, 120));
  await page.screenshot({ path: join(artifacts, "docs.png") });

  check(consoleErrors.length === 0, "no errors in the browser console", consoleErrors.join(" | "));
} catch (err) {
  check(false, "the walk through the page", err.stack || String(err));
  await page.screenshot({ path: join(artifacts, "failure.png"), fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
console.log(failures ? `${failures} check(s) failed` : "all checks passed");
process.exit(failures ? 1 : 0);
