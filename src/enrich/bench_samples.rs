//! Snippets of the size people keep (about 30 lines), in the languages they
//! keep most, for the enrichment benchmark and the real-model test.

/// One sample: language and code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    pub language: &'static str,
    pub file_name: &'static str,
    pub code: &'static str,
}

pub const SAMPLES: &[Sample] = &[
    Sample {
        language: "rust",
        file_name: "retry.rs",
        code: r#"use std::thread;
use std::time::Duration;

/// Calls `op` until it succeeds or `attempts` runs out, doubling the wait
/// between tries.
pub fn retry<T, E: std::fmt::Display>(
    attempts: u32,
    first_delay: Duration,
    mut op: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    let mut delay = first_delay;
    let mut tries = 0;
    loop {
        match op() {
            Ok(value) => return Ok(value),
            Err(err) if tries + 1 < attempts => {
                eprintln!("attempt {} failed: {err}; retrying in {delay:?}", tries + 1);
                thread::sleep(delay);
                delay = delay.saturating_mul(2);
                tries += 1;
            }
            Err(err) => return Err(err),
        }
    }
}

fn main() {
    let mut calls = 0;
    let result = retry(5, Duration::from_millis(10), || {
        calls += 1;
        if calls < 3 { Err("not yet") } else { Ok(calls) }
    });
    println!("{result:?}");
}
"#,
    },
    Sample {
        language: "python",
        file_name: "dedupe.py",
        code: r#"import hashlib
import os
import sys
from collections import defaultdict


def file_digest(path, chunk_size=1 << 16):
    """Return the SHA-256 hex digest of the file at `path`."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def find_duplicates(root):
    by_size = defaultdict(list)
    for folder, _dirs, files in os.walk(root):
        for name in files:
            path = os.path.join(folder, name)
            by_size[os.path.getsize(path)].append(path)
    by_hash = defaultdict(list)
    for paths in by_size.values():
        if len(paths) > 1:
            for path in paths:
                by_hash[file_digest(path)].append(path)
    return [group for group in by_hash.values() if len(group) > 1]


if __name__ == "__main__":
    for group in find_duplicates(sys.argv[1] if len(sys.argv) > 1 else "."):
        print("\n".join(group), end="\n\n")
"#,
    },
    Sample {
        language: "shell",
        file_name: "backup.sh",
        code: r#"#!/usr/bin/env bash
# Back up a Postgres database to a dated, compressed file and keep the
# newest seven copies.
set -euo pipefail

db="${1:?usage: backup.sh DATABASE [DIR]}"
dir="${2:-$HOME/backups}"
keep=7
stamp="$(date +%Y-%m-%d_%H%M%S)"
target="$dir/$db-$stamp.sql.gz"

mkdir -p "$dir"
tmp="$(mktemp "$dir/.partial.XXXXXX")"
trap 'rm -f "$tmp"' EXIT

echo "dumping $db to $target"
pg_dump --no-owner --format=plain "$db" | gzip -9 > "$tmp"
mv "$tmp" "$target"
trap - EXIT

# Delete all but the newest $keep backups of this database.
ls -1t "$dir/$db"-*.sql.gz 2>/dev/null \
  | tail -n +"$((keep + 1))" \
  | while read -r old; do
      echo "removing $old"
      rm -f -- "$old"
    done

du -h "$target" | cut -f1 | xargs printf 'backup size: %s\n'
"#,
    },
    Sample {
        language: "javascript",
        file_name: "debounce.js",
        code: r#"import { readFile } from "node:fs/promises";

/**
 * Returns a function that delays calling `fn` until `wait` ms have passed
 * since the last call. The pending call can be cancelled or flushed.
 */
export function debounce(fn, wait = 200) {
  let timer = null;
  let lastArgs = null;

  function debounced(...args) {
    lastArgs = args;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = null;
      fn(...lastArgs);
    }, wait);
  }

  debounced.cancel = () => {
    clearTimeout(timer);
    timer = null;
  };

  debounced.flush = () => {
    if (timer !== null) {
      debounced.cancel();
      fn(...lastArgs);
    }
  };

  return debounced;
}

const save = debounce(async (path) => console.log((await readFile(path, "utf8")).length), 300);
save("package.json");
"#,
    },
    Sample {
        language: "go",
        file_name: "worker_pool.go",
        code: r#"package main

import (
	"fmt"
	"net/http"
	"sync"
	"time"
)

// checkAll requests every URL with at most `workers` requests in flight
// and returns the HTTP status (or error) of each.
func checkAll(urls []string, workers int) map[string]string {
	client := &http.Client{Timeout: 5 * time.Second}
	jobs := make(chan string)
	results := make(map[string]string)
	var mu sync.Mutex
	var wg sync.WaitGroup

	for i := 0; i < workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for url := range jobs {
				resp, err := client.Get(url)
				status := "unreachable"
				if err == nil {
					status = resp.Status
					resp.Body.Close()
				}
				mu.Lock()
				results[url] = status
				mu.Unlock()
			}
		}()
	}
	for _, u := range urls {
		jobs <- u
	}
	close(jobs)
	wg.Wait()
	return results
}

func main() { fmt.Println(checkAll([]string{"https://example.com"}, 4)) }
"#,
    },
    Sample {
        language: "sql",
        file_name: "monthly_revenue.sql",
        code: r#"-- Revenue per customer and month, with the running total per customer
-- and the share of each month in the customer's yearly revenue.
WITH monthly AS (
    SELECT
        o.customer_id,
        date_trunc('month', o.created_at) AS month,
        sum(oi.quantity * oi.unit_price)  AS revenue
    FROM orders o
    JOIN order_items oi ON oi.order_id = o.id
    WHERE o.status = 'paid'
      AND o.created_at >= date '2024-01-01'
    GROUP BY o.customer_id, date_trunc('month', o.created_at)
)
SELECT
    c.name,
    m.month,
    m.revenue,
    sum(m.revenue) OVER (
        PARTITION BY m.customer_id
        ORDER BY m.month
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
    ) AS running_total,
    round(
        100.0 * m.revenue
        / sum(m.revenue) OVER (PARTITION BY m.customer_id, date_trunc('year', m.month)),
        1
    ) AS pct_of_year
FROM monthly m
JOIN customers c ON c.id = m.customer_id
ORDER BY c.name, m.month;
"#,
    },
];
