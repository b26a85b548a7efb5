//! Replays the MAESTRI exchanges leave one case out and prints recall@1, @3 and @10 of the true
//! receiver: `cargo run -p synergies-matching --example evaluate [-- --misses] [--main]`
//! (`--main`: only the main run and the run without distractors, for quick comparisons).

use synergies_matching::scoring::evaluation::{Options, evaluate};
use synergies_matching::scoring::{MAESTRI, maestri_records};

const ROUTES: &str = include_str!("../data/routes.tsv");

fn main() {
    let show_misses = std::env::args().any(|a| a == "--misses");
    let records = maestri_records(MAESTRI);
    let base = Options::default();
    let runs = [
        ("main: 30 distractors, curated routes", base),
        (
            "filtered (other receivers of the same output left out)",
            Options {
                filtered: true,
                ..base
            },
        ),
        (
            "without curated routes (MAESTRI knowledge only)",
            Options {
                curated_routes: false,
                ..base
            },
        ),
        (
            "no distractors (the case's own inputs only)",
            Options {
                distractors: 0,
                ..base
            },
        ),
        (
            "100 distractors",
            Options {
                distractors: 100,
                ..base
            },
        ),
    ];
    println!(
        "| run | queries | candidates (mean) | recall@1 | recall@3 | recall@10 | true pairs above threshold | distractors above threshold |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let only_main = std::env::args().any(|a| a == "--main");
    for (name, options) in runs {
        if only_main && !(options == base || options.distractors == 0) {
            continue;
        }
        let report = evaluate(&records, ROUTES, options);
        println!(
            "| {name} | {} | {:.1} | {:.1} % | {:.1} % | {:.1} % | {:.1} % | {:.1} % |",
            report.queries,
            report.mean_candidates,
            100.0 * report.recall_at_1,
            100.0 * report.recall_at_3,
            100.0 * report.recall_at_10,
            100.0 * report.above_threshold,
            100.0 * report.distractors_above_threshold,
        );
        if show_misses && options == base {
            for miss in &report.misses {
                eprintln!(
                    "case {} [{}] {} -> {} : rank {:.1}, first {}",
                    miss.case,
                    miss.exchange_id,
                    miss.output,
                    miss.receiver,
                    miss.expected_rank,
                    miss.ranked_first
                );
            }
        }
    }
}
