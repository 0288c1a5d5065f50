//! One integration-test binary (links once): the HTTP service, the CLI and the
//! generators, each driven the way a client drives them.

mod cli;
mod docx;
mod guide;
mod hostile;
mod http;
mod images;
mod images_http;
mod jobs;
mod openapi;
mod pdf;
mod props;
mod security;
mod serve;
mod stored_templates;
mod support;
mod xlsx;
mod zip;
