//! Progress of long steps: a spinner with the step and its elapsed time on a terminal, plain
//! timestamped lines otherwise (CI logs keep every line; a spinner there is noise).
//!
//! Everything goes to standard error; standard output carries only the summary.

use std::io::IsTerminal as _;
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Shared by every root of one run.
#[derive(Clone)]
pub struct Progress {
    multi: Option<MultiProgress>,
}

impl Progress {
    pub fn new() -> Self {
        let multi = std::io::stderr().is_terminal().then(MultiProgress::new);
        Self { multi }
    }

    /// Progress of one root, labelled `label` (the environment or the root's path).
    pub fn root(&self, label: &str) -> Reporter {
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new_spinner());
            if let Ok(style) = ProgressStyle::with_template("{spinner} {prefix}: {msg} {elapsed}") {
                bar.set_style(style);
            }
            bar.set_prefix(label.to_string());
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Reporter {
            multi: self.multi.clone(),
            bar,
            label: label.to_string(),
            started: Instant::now(),
        }
    }

    /// Prints a line to standard error without tearing a spinner.
    pub fn println(&self, text: &str) {
        match &self.multi {
            Some(m) => {
                for line in text.lines() {
                    let _ = m.println(line);
                }
            }
            None => eprintln!("{text}"),
        }
    }
}

pub struct Reporter {
    multi: Option<MultiProgress>,
    bar: Option<ProgressBar>,
    label: String,
    /// When the root's first step started: `finish` reports the whole time.
    started: Instant,
}

impl Reporter {
    /// A new step starts (`init`, `plan`, `show`, `apply`).
    pub fn step(&mut self, step: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_message(step.to_string());
                bar.reset_elapsed();
            }
            None => eprintln!("{} {}: {step}", super::now(), self.label),
        }
    }

    /// The root is done: the spinner is replaced by one line.
    pub fn finish(&mut self, outcome: &str) {
        let line = format!(
            "{}: {outcome} in {:.1}s",
            self.label,
            self.started.elapsed().as_secs_f64()
        );
        match (&self.bar, &self.multi) {
            (Some(bar), Some(m)) => {
                bar.finish_and_clear();
                m.remove(bar);
                let _ = m.println(line);
            }
            _ => eprintln!("{} {line}", super::now()),
        }
    }

    /// A line of terraform's output shown live (apply), above the spinner.
    pub fn println(&self, text: &str) {
        match &self.bar {
            Some(bar) => bar.println(text),
            None => eprintln!("{text}"),
        }
    }
}
