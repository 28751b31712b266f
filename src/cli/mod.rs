//! What the `twinpath` command offers: clap arguments, one `Engine` call per command,
//! output rendered for a terminal or a script.

mod logical;
mod reason;
mod render;
mod simulate;
mod twin;

use crate::engine::{Engine, LoadSummary};
use crate::import::Columns;
use crate::store::{
    Dataset, DiffSide, LoadOptions, Progress, QueryLimits, RdfFormatChoice, ResultFormat,
    SourceFormat,
};
use anyhow::{bail, Context};
use clap::{Parser, Subcommand, ValueEnum};
use oxigraph::model::NamedNode;
use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// twinpath: a knowledge graph and pathway reasoning engine for virtual human twins.
///
/// One RDF store holds curated biology (pathways, drugs, ontologies) and patient twins;
/// everything is reachable through SPARQL, this command line and an HTTP API.
#[derive(Debug, Parser)]
#[command(
    name = "twinpath",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Args {
    /// The data directory of the store (RocksDB); created when missing.
    #[arg(
        long,
        global = true,
        env = "TWINPATH_DATA",
        default_value = "twinpath-data",
        value_name = "DIR"
    )]
    data: PathBuf,

    /// Longest a query may run before it is cancelled, in seconds.
    #[arg(long, global = true, default_value_t = 30.0, value_name = "SECONDS")]
    query_timeout: f64,

    /// Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a query may return.
    #[arg(long, global = true, default_value_t = 1_000_000, value_name = "N")]
    max_results: usize,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the SPARQL endpoint, the API and the query page.
    ///
    /// On the first start with an empty data directory, the bundled ontologies and pathways
    /// are loaded first. Stops cleanly on Ctrl-C or SIGTERM, finishing requests in flight.
    Serve {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:7878", value_name = "ADDR")]
        bind: SocketAddr,
        /// Bearer token that unlocks POST /update; without it, updates are refused (403).
        #[arg(
            long,
            env = "TWINPATH_TOKEN",
            hide_env_values = true,
            value_name = "TOKEN"
        )]
        token: Option<String>,
    },
    /// Load the bundled ontologies and pathways into the data directory (what `serve` does
    /// on first start); loading them again replaces the earlier versions.
    Init,
    /// Load RDF files, published networks, or folders (recursively) into the store, one named
    /// graph per file.
    ///
    /// Syntaxes: Turtle (.ttl), N-Triples (.nt), N-Quads (.nq), TriG (.trig), RDF/XML (.rdf,
    /// .owl) and JSON-LD (.jsonld), from the extension or --format. Networks are imported into
    /// the vocabulary: WikiPathways GPML (.gpml), SIF (.sif), and interaction tables with
    /// --format tsv|csv (see docs/reasoning.md). Each file goes to the graph
    /// https://twinpath.org/graph/<file name without extension> unless --graph is given;
    /// loading a file again replaces its graph. Each load is atomic and recorded in the
    /// catalog. All files are validated first, as one batch (syntax, the SHACL shapes of
    /// curated content, references into the store, duplicates, contradicting signs; see
    /// `twinpath validate`): a problem in any file loads none.
    Load {
        /// The graph to load into (one file only).
        #[arg(long, value_name = "IRI")]
        graph: Option<String>,
        /// The syntax, when the extension does not tell it. Besides RDF, published networks
        /// are imported: WikiPathways `gpml`, `sif` (and extended SIF), and signed interaction
        /// tables (`tsv`, `csv`, as OmniPath and SIGNOR publish them).
        #[arg(long, value_parser = source_format, value_name = "turtle|ntriples|nquads|trig|rdfxml|jsonld|gpml|sif|tsv|csv")]
        format: Option<SourceFormat>,
        /// The column of a table that names each interaction's source (default: detected from the header).
        #[arg(long, value_name = "COLUMN")]
        source_column: Option<String>,
        /// The column that names each interaction's target.
        #[arg(long, value_name = "COLUMN")]
        target_column: Option<String>,
        /// The column that gives each interaction's sign (1/-1, +/-, activation/inhibition, …).
        #[arg(long, value_name = "COLUMN")]
        sign_column: Option<String>,
        /// The column that lists each interaction's references (PubMed ids, DOIs).
        #[arg(long, value_name = "COLUMN")]
        evidence_column: Option<String>,
        /// The identifier namespace of node names in tables and SIF (uniprot, ncbigene,
        /// ensembl, hgnc.symbol, chebi); by default recognised from each name's form.
        #[arg(long, value_name = "NAMESPACE")]
        id_namespace: Option<String>,
        /// Base IRI for relative IRIs (default: the file's file:// IRI).
        #[arg(long, value_name = "IRI")]
        base: Option<String>,
        /// Load even if curated content breaks the curation rules (syntax is still checked).
        #[arg(long)]
        no_validate: bool,
        /// Files and folders to load.
        #[arg(required = true, value_name = "FILE_OR_FOLDER")]
        paths: Vec<PathBuf>,
    },
    /// Run a SPARQL query: given inline, from a file, or by name from the bundled queries/.
    ///
    /// Without GRAPH or FROM, the default graph is the union of all graphs.
    Query {
        /// The query text.
        #[arg(conflicts_with_all = ["file", "named"], required_unless_present_any = ["file", "named"])]
        query: Option<String>,
        /// Read the query from a file.
        #[arg(long, short, value_name = "FILE", conflicts_with = "named")]
        file: Option<PathBuf>,
        /// Run a named query from queries/ (see `twinpath queries`).
        #[arg(long, short, value_name = "NAME")]
        named: Option<String>,
        /// A named query's parameter, as NAME=VALUE (repeatable); `<IRI>` or http(s):// values bind IRIs.
        #[arg(long = "param", short, value_name = "NAME=VALUE", value_parser = parse_param)]
        params: Vec<(String, String)>,
        /// Output: table (for people), json, csv, tsv, xml for SELECT/ASK; turtle, ntriples,
        /// rdfxml, jsonld for CONSTRUCT/DESCRIBE.
        #[arg(long, default_value = "table")]
        format: String,
        /// A graph to use as the default graph (SPARQL protocol default-graph-uri; repeatable).
        #[arg(long = "default-graph", value_name = "IRI")]
        default_graphs: Vec<String>,
        /// A graph GRAPH patterns may see (SPARQL protocol named-graph-uri; repeatable).
        #[arg(long = "named-graph", value_name = "IRI")]
        named_graphs: Vec<String>,
    },
    /// Find entities by symbol, label, synonym, identifier or description: exact matches first,
    /// then prefixes, then one typo away, then descriptions.
    Search {
        /// What to look for (`HER2`, `p53`, `hgnc:11998`, …).
        #[arg(value_name = "TEXT")]
        text: String,
        /// Only entities of this type (`Gene`, `tw:Drug`, or a full IRI).
        #[arg(long = "type", value_name = "TYPE")]
        kind: Option<String>,
        #[arg(long, default_value_t = 10)]
        limit: usize,
        #[arg(long, default_value_t = 0)]
        offset: usize,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// List the named graphs with their triple counts and the load that wrote each.
    Graphs {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Copy the store consistently into a new directory that works as a --data directory
    /// (a RocksDB checkpoint; stop `serve` first, since one process holds the store).
    Backup {
        /// The new directory.
        #[arg(value_name = "DIR")]
        target: PathBuf,
    },
    /// Export one graph, or every graph with the catalog (N-Quads or TriG), to stdout or a file.
    Dump {
        /// The graph to export; without it, every graph.
        #[arg(long, value_name = "IRI")]
        graph: Option<String>,
        /// The syntax (default: turtle for one graph, nquads for the whole store).
        #[arg(long, value_parser = rdf_format, value_name = "turtle|ntriples|nquads|trig|rdfxml|jsonld")]
        format: Option<RdfFormatChoice>,
        /// Write to this file instead of stdout.
        #[arg(long, short, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// List the named queries bundled in queries/ with their parameters.
    Queries {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Check files as one batch without loading them: syntax, the SHACL shapes of curated
    /// content (ontologies/twin-shapes.ttl), and, against the store in --data (or the bundled
    /// content when that directory does not exist), references to entities defined nowhere,
    /// terms missing from the vocabulary, unknown identifier registries, identifiers shared by
    /// two entities, duplicated interactions and contradicting signs. Each problem is reported
    /// with its file, line and subject; exit code 2 when there is any.
    Validate {
        /// The syntax, when the extension does not tell it.
        #[arg(long, value_parser = source_format, value_name = "turtle|ntriples|nquads|trig|rdfxml|jsonld|gpml|sif|tsv|csv")]
        format: Option<SourceFormat>,
        /// How to print the report.
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        output: ListFormat,
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Ask the signed interaction network: what lies downstream or upstream of a gene, by which
    /// paths, through which feedback loops, and what perturbations do to the hallmarks.
    ///
    /// The network holds every activation and inhibition in the store (curated maps and
    /// imported pathways), hallmark links signed by the gene's activity, drug targets signed
    /// by their action and microbial productions; entities sharing an identifier are one node.
    /// Every answer carries the evidence of the edges it used.
    Reason {
        #[command(subcommand)]
        question: reason::ReasonCommand,
    },
    /// Logical (Boolean) models: attractors, perturbations and stochastic simulation.
    Logical {
        #[command(subcommand)]
        question: logical::LogicalCommand,
    },
    /// Patient twins: import FHIR records, list and show twins, simulate them (every read of a
    /// twin is written to the audit log in the data directory).
    Twin {
        #[command(subcommand)]
        command: twin::TwinCommand,
    },
    /// Kinetic (ODE) simulation: one SBML Test Suite case (--sbml MODEL.xml --settings
    /// SETTINGS.txt --out OUT.csv, in the suite's CSV layout), or a pathway of the store
    /// (`simulate ode --pathway IRI --until T`). Solved by BDF (diffsol) with an exact Jacobian.
    Simulate(simulate::SimulateArgs),
    /// A recorded simulation run: its provenance and results (JSON), or its series (CSV).
    Run {
        id: String,
        /// Print the run's time series (CSV) instead of its summary.
        #[arg(long)]
        series: bool,
    },
    /// Show what changed between two versions of a file or graph: statements added and removed,
    /// grouped by subject.
    ///
    /// OLD and NEW are each a file (any RDF syntax) or the IRI of a graph in the store (--data).
    /// Blank nodes are matched by canonicalization, so renaming them is no change.
    Diff {
        old: String,
        new: String,
        /// The syntax of files, when the extension does not tell it.
        #[arg(long, value_parser = source_format, value_name = "turtle|ntriples|nquads|trig|rdfxml|jsonld|gpml|sif|tsv|csv")]
        format: Option<SourceFormat>,
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        output: ListFormat,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum ListFormat {
    Table,
    Json,
}

fn parse_param(text: &str) -> Result<(String, String), String> {
    let (name, value) = text
        .split_once('=')
        .ok_or_else(|| format!("{text:?} is not NAME=VALUE"))?;
    Ok((
        name.trim().trim_start_matches('?').to_owned(),
        value.to_owned(),
    ))
}

/// clap's parser for `--format` of RDF files (the store knows the names; clap stays here).
fn rdf_format(text: &str) -> Result<RdfFormatChoice, String> {
    RdfFormatChoice::from_name(text).ok_or_else(|| {
        let names: Vec<&str> = RdfFormatChoice::NAMES.iter().map(|(n, _)| *n).collect();
        format!("{text:?} is not one of {}", names.join(", "))
    })
}

/// clap's parser for `--format` of sources to load, validate or compare.
fn source_format(text: &str) -> Result<SourceFormat, String> {
    SourceFormat::from_name(text).ok_or_else(|| {
        format!(
            "{text:?} is not one of {}",
            SourceFormat::names().join(", ")
        )
    })
}

fn iri(text: &str) -> anyhow::Result<NamedNode> {
    NamedNode::new(text)
        .map_err(|e| crate::Error::BadInput(format!("{text:?} is not an IRI: {e}")).into())
}

/// Parses the process arguments, runs the command and turns errors into exit codes:
/// 0 success, 1 the work failed, 2 bad usage or bad input.
pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(code) => code,
        Err(error) => {
            let mut stderr = std::io::stderr().lock();
            let _ = writeln!(stderr, "error: {error}");
            for cause in error.chain().skip(1) {
                let _ = writeln!(stderr, "  caused by: {cause}");
            }
            let bad_input = error
                .chain()
                .find_map(|e| e.downcast_ref::<crate::Error>())
                .is_some_and(crate::Error::is_bad_input);
            ExitCode::from(if bad_input { 2 } else { 1 })
        }
    }
}

/// Runs one command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if !(args.query_timeout > 0.0 && args.query_timeout.is_finite()) {
        bail!(crate::Error::BadInput(
            "--query-timeout must be a positive number of seconds".into()
        ));
    }
    let limits = QueryLimits {
        timeout: Duration::from_secs_f64(args.query_timeout),
        max_results: args.max_results,
    };
    let open = || {
        Engine::open(&args.data, limits).with_context(|| {
            format!(
                "cannot open the store in {} (only one process may hold it: if `twinpath serve` \
                 runs on it, use its HTTP API, or stop it first)",
                args.data.display()
            )
        })
    };
    let mut out = std::io::stdout().lock();
    match args.command {
        Command::Serve { bind, token } => {
            init_tracing();
            let engine = open()?;
            if let Some(summary) = engine.load_bundled_if_new(&TerminalProgress::default())? {
                eprintln!(
                    "first start: loaded the bundled content into {}",
                    args.data.display()
                );
                render::load_summary(&mut std::io::stderr(), &summary)?;
                eprintln!(
                    "the store holds {} triples, catalog records included",
                    engine.store().len()?
                );
            }
            if token.is_none() {
                tracing::info!("no --token given: POST /update is disabled");
            }
            let router = crate::api::router(Arc::new(engine), crate::api::ApiConfig { token });
            tokio::runtime::Runtime::new()?.block_on(crate::api::serve(router, bind))?;
        }
        Command::Init => {
            let engine = open()?;
            let summary = engine.load_bundled(&TerminalProgress::default())?;
            render::load_summary(&mut out, &summary)?;
        }
        Command::Load {
            graph,
            format,
            source_column,
            target_column,
            sign_column,
            evidence_column,
            id_namespace,
            base,
            no_validate,
            paths,
        } => {
            let engine = open()?;
            let options = LoadOptions {
                format,
                columns: Columns {
                    source: source_column,
                    target: target_column,
                    sign: sign_column,
                    evidence: evidence_column,
                    namespace: id_namespace,
                },
                graph: graph.as_deref().map(iri).transpose()?,
                base_iri: base,
                skip_validation: no_validate,
                companion: None,
            };
            let summary: LoadSummary =
                engine.load_paths(&paths, &options, &TerminalProgress::default())?;
            render::load_summary(&mut out, &summary)?;
        }
        Command::Query {
            query,
            file,
            named,
            params,
            format,
            default_graphs,
            named_graphs,
        } => {
            let engine = open()?;
            let answer = if let Some(name) = named {
                if !default_graphs.is_empty() || !named_graphs.is_empty() {
                    bail!(crate::Error::BadInput(
                        "--default-graph and --named-graph apply to inline queries only".into()
                    ));
                }
                engine.run_named_query(&name, &params, false)?
            } else {
                if !params.is_empty() {
                    bail!(crate::Error::BadInput(
                        "--param applies to named queries only (--named NAME)".into()
                    ));
                }
                let text = match (query, file) {
                    (Some(q), _) => q,
                    (None, Some(file)) => read_text(&file)?,
                    (None, None) => bail!(crate::Error::BadInput(
                        "give a query, --file or --named".into()
                    )),
                };
                let dataset = Dataset {
                    default_graphs: default_graphs
                        .iter()
                        .map(|g| iri(g))
                        .collect::<anyhow::Result<_>>()?,
                    named_graphs: named_graphs
                        .iter()
                        .map(|g| iri(g))
                        .collect::<anyhow::Result<_>>()?,
                    public_only: false,
                };
                engine.query(&text, &dataset)?
            };
            if format == "table" {
                render::answer_table(&mut out, &answer)?;
            } else {
                let chosen = ResultFormat::for_answer(&format, &answer).ok_or_else(|| {
                    crate::Error::BadInput(format!(
                        "--format {format} cannot hold this answer; use table, json, csv, tsv or xml for SELECT/ASK and turtle, ntriples, rdfxml or jsonld for CONSTRUCT/DESCRIBE"
                    ))
                })?;
                answer.write(chosen, &mut out)?;
                if !answer.is_graph() && matches!(format.as_str(), "json" | "xml") {
                    writeln!(out)?;
                }
            }
        }
        Command::Search {
            text,
            kind,
            limit,
            offset,
            format,
        } => {
            let hits = open()?.search(&crate::search::SearchRequest {
                text: &text,
                kind: kind.as_deref(),
                limit,
                offset,
            })?;
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&hits)?)?,
                ListFormat::Table => render::hits_table(&mut out, &hits)?,
            }
        }
        Command::Reason { question } => reason::run(&open()?, question, &mut out)?,
        // A model file needs no store: an empty in-memory engine answers.
        Command::Logical { question } => {
            let engine = if question.needs_store() {
                open()?
            } else {
                Engine::in_memory(limits)?
            };
            logical::run(&engine, question, &mut out)?
        }
        Command::Twin { command } => twin::run(&open()?, command, &mut out)?,
        // A model file needs no store either.
        Command::Simulate(args) => {
            let engine = if args.needs_store() {
                open()?
            } else {
                Engine::in_memory(limits)?
            };
            simulate::run(&engine, args, &mut out)?
        }
        Command::Run { id, series } => {
            let (summary, series_file) = open()?.run(&id, &twin::local_user())?;
            if series {
                let text = std::fs::read_to_string(&series_file).with_context(|| {
                    format!("cannot read the run's series {}", series_file.display())
                })?;
                write!(out, "{text}")?;
            } else {
                writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
            }
        }
        Command::Graphs { format } => {
            let graphs = open()?.graphs()?;
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&graphs)?)?,
                ListFormat::Table => render::graphs_table(&mut out, &graphs)?,
            }
        }
        Command::Backup { target } => {
            open()?.backup(&target)?;
            writeln!(
                out,
                "backed up {} to {}",
                args.data.display(),
                target.display()
            )?;
        }
        Command::Dump {
            graph,
            format,
            out: file,
        } => {
            let engine = open()?;
            let graph = graph.as_deref().map(iri).transpose()?;
            let format = format.unwrap_or(if graph.is_some() {
                RdfFormatChoice::Turtle
            } else {
                RdfFormatChoice::Nquads
            });
            match file {
                Some(path) => {
                    let mut writer = std::io::BufWriter::new(
                        std::fs::File::create(&path)
                            .with_context(|| format!("cannot create {}", path.display()))?,
                    );
                    engine.dump(graph.as_ref(), format, &mut writer)?;
                    writer.flush()?;
                }
                None => engine.dump(graph.as_ref(), format, &mut out)?,
            }
        }
        Command::Queries { format } => {
            let queries = crate::queries::all();
            match format {
                ListFormat::Json => writeln!(out, "{}", serde_json::to_string_pretty(&queries)?)?,
                ListFormat::Table => render::queries_table(&mut out, &queries)?,
            }
        }
        Command::Validate {
            format,
            output,
            files,
        } => {
            let options = LoadOptions {
                format,
                ..LoadOptions::default()
            };
            // Against the store when there is one, else against the bundled content, so that
            // references to the shipped maps resolve either way.
            let engine = if args.data.exists() {
                open()?
            } else {
                let engine = Engine::in_memory(limits)?;
                engine.load_bundled(&crate::store::NoProgress)?;
                engine
            };
            let report = engine.validate(&files, &options)?;
            match output {
                ListFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &report)?;
                    writeln!(out)?;
                }
                ListFormat::Table => render::validation(&mut out, &report)?,
            }
            if !report.is_valid() {
                return Ok(ExitCode::from(2));
            }
        }
        Command::Diff {
            old,
            new,
            format,
            output,
        } => {
            let options = LoadOptions {
                format,
                ..LoadOptions::default()
            };
            // Graph IRIs need the store; two files do not.
            let is_graph = |text: &str| text.contains("://") && !Path::new(text).exists();
            let engine = if is_graph(&old) || is_graph(&new) {
                open()?
            } else {
                Engine::in_memory(limits)?
            };
            let side = |text: &str| -> anyhow::Result<DiffSide> {
                Ok(if is_graph(text) {
                    DiffSide::Graph(iri(text)?)
                } else {
                    DiffSide::File(PathBuf::from(text))
                })
            };
            let diff = engine.diff(&side(&old)?, &side(&new)?, &options)?;
            match output {
                ListFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, &diff)?;
                    writeln!(out)?;
                }
                ListFormat::Table => render::diff(&mut out, &diff)?,
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).map_err(|source| {
        crate::Error::Read {
            path: path.to_path_buf(),
            source,
        }
        .into()
    })
}

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("twinpath=info,tower_http=info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// A progress bar on stderr while a file loads (hidden when stderr is not a terminal).
#[derive(Default)]
struct TerminalProgress {
    bar: Mutex<Option<indicatif::ProgressBar>>,
}

impl Progress for TerminalProgress {
    fn start(&self, label: &Path, total_bytes: Option<u64>) {
        if !std::io::stderr().is_terminal() {
            return;
        }
        let bar = indicatif::ProgressBar::new(total_bytes.unwrap_or(0));
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{msg:30!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(
            label
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
        if let Ok(mut slot) = self.bar.lock() {
            *slot = Some(bar);
        }
    }

    fn advance(&self, bytes_read: u64) {
        if let Ok(slot) = self.bar.lock() {
            if let Some(bar) = slot.as_ref() {
                bar.set_position(bytes_read);
            }
        }
    }

    fn finish(&self, _triples: u64) {
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(bar) = slot.take() {
                bar.finish_and_clear();
            }
        }
    }
}
