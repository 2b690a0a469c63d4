//! The command line: `serve`, `migrate`, `seed demo`, `demo`, `user add`, `user passwd`.

use crate::app::{self, AppState};
use crate::auth::{store as accounts, Role};
use crate::config::{self, DEFAULT_DB, DEFAULT_LISTEN};
use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};
use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "gongjiang",
    version,
    about = "工匠 Gongjiang — 产业工人队伍建设平台 (trade-union platform for a skilled workforce)",
    after_help = "Environment: GONGJIANG_DB (database URL, default sqlite://gongjiang.db), GONGJIANG_KEY_FILE \
                  (key for personal data; back it up), GONGJIANG_LISTEN (default 127.0.0.1:8080), GONGJIANG_LOG (log filter)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the data lives; every command that opens the database takes these.
#[derive(Args, Clone)]
struct DbArgs {
    /// Database URL: sqlite://FILE (default) or postgres://USER@HOST/DB
    #[arg(long, env = "GONGJIANG_DB", default_value = DEFAULT_DB)]
    db: String,
    /// Key file for personal data (default: beside the SQLite file; required with PostgreSQL)
    #[arg(long, env = "GONGJIANG_KEY_FILE")]
    key_file: Option<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the console and the JSON API (applies pending migrations first)
    Serve {
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on
        #[arg(long, env = "GONGJIANG_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: String,
        /// Served behind an HTTPS reverse proxy: Secure cookies, HSTS, and the
        /// client address taken from the proxy's X-Forwarded-For
        #[arg(long, env = "GONGJIANG_BEHIND_HTTPS")]
        behind_https: bool,
    },
    /// Create or upgrade the database schema
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Load data into the database
    Seed {
        #[command(subcommand)]
        what: SeedCommand,
    },
    /// First look: migrate, load the demo data, print the demo logins and serve
    Demo {
        #[command(flatten)]
        db: DbArgs,
        #[arg(long, env = "GONGJIANG_LISTEN", default_value = DEFAULT_LISTEN)]
        listen: String,
        /// As for `serve`
        #[arg(long, env = "GONGJIANG_BEHIND_HTTPS")]
        behind_https: bool,
    },
    /// Manage accounts
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// Import a roster, the union tree or the enterprise register (.xlsx, .xls, .csv)
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Export a roster to .xlsx
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// The report upward (.xlsx): 会员统计, 技能等级 … a row per child organisation
    Report {
        /// Organisation code
        #[arg(long)]
        org: String,
        /// The year (default: this year)
        #[arg(long)]
        year: Option<i64>,
        /// Output file (.xlsx)
        #[arg(short, long)]
        output: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
    /// The audit log
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// The points ledger
    Points {
        #[command(subcommand)]
        what: PointsCommand,
    },
    /// Back up the database while it runs (SQLite: a consistent copy; PostgreSQL: pg_dump)
    Backup {
        #[command(flatten)]
        db: DbArgs,
        /// The backup file to write (must not exist yet)
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
    },
    /// Restore a backup into a new database (a new SQLite file, or an empty PostgreSQL database)
    Restore {
        /// The backup file written by `gongjiang backup`
        file: PathBuf,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum PointsCommand {
    /// Write the expiry of every point lot that has run out (the server also does this hourly)
    Expire {
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Import members into an organisation's subtree, with a progress bar
    Members(ImportArgs),
    /// Import the union tree under an organisation (组织名称, 组织代码, 上级组织, 组织类型, …)
    Orgs(ImportArgs),
    /// Import the enterprise register of an organisation's subtree (企业名称, 统一社会信用代码, 所属工会, …)
    Enterprises(ImportArgs),
}

#[derive(clap::Args)]
struct ImportArgs {
    /// The file (.xlsx, .xls, .csv in UTF-8 or GBK)
    file: PathBuf,
    /// Organisation code to import into
    #[arg(long)]
    org: String,
    /// check (write nothing), all (all or nothing, the default) or valid (skip bad rows)
    #[arg(long, default_value = "all")]
    mode: String,
    /// Where to write the bad rows (.xlsx); default FILE.errors.xlsx when there are any
    #[arg(long)]
    report: Option<PathBuf>,
    /// Members: register the employers (工作单位) not registered yet, by name, marked 待补充信用代码
    #[arg(long)]
    register_employers: bool,
    #[command(flatten)]
    db: DbArgs,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Export the members of an organisation's subtree (masked unless --reveal; audited)
    Members {
        /// Organisation code
        #[arg(long)]
        org: String,
        /// Output file (.xlsx)
        #[arg(short, long)]
        output: PathBuf,
        /// Whole ID numbers and phones instead of masked ones (written to the audit log)
        #[arg(long)]
        reveal: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the sealed chain and its checkpoints; exits non-zero and names the
    /// first broken entry if it is broken, else prints a new checkpoint line
    Verify {
        /// A checkpoint line printed earlier (kept elsewhere): the log must still
        /// hold what it counted. Repeatable.
        #[arg(long)]
        checkpoint: Vec<String>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum SeedCommand {
    /// The demo union tree, enterprises, a few hundred fictional members and demo accounts (idempotent)
    Demo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// A synthetic city for benchmarks: ~30 members an enterprise, deterministic for a seed
    Synthetic {
        /// How many members
        #[arg(long)]
        members: u64,
        /// Random seed (the same seed gives the same people)
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write the people to this .xlsx roster instead of the database (the tree still goes to the database)
        #[arg(long)]
        xlsx: Option<PathBuf>,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account with one role at one organisation; the password is read from standard input
    Add {
        #[arg(long)]
        username: String,
        /// Organisation code; the account's rights cover its subtree
        #[arg(long)]
        org: String,
        /// admin, officer, viewer or member
        #[arg(long)]
        role: String,
        /// For a member account: the id of the member record it belongs to
        #[arg(long)]
        member_id: Option<i64>,
        /// Read the password from the first line of standard input
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Open member accounts for every member on the roll of a subtree who has none
    /// (login: the phone; a one-time activation code each, written to an .xlsx)
    Bulk {
        /// Organisation code
        #[arg(long)]
        org: String,
        /// The workbook of codes to hand out (it holds the codes: keep it safe)
        #[arg(short, long)]
        output: PathBuf,
        /// The address workers open to activate (printed on the sheet)
        #[arg(long, default_value = "http://127.0.0.1:8080/m/activate")]
        activate_url: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Set an account's password from standard input (ends its sessions)
    Passwd {
        #[arg(long)]
        username: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        db: DbArgs,
    },
}

pub fn main() -> ExitCode {
    // The sheet parser child starts here, before any runtime or logging.
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some(crate::roster::isolate::SUBCOMMAND) {
        return crate::roster::isolate::child_main(&args[2..]);
    }
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GONGJIANG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("gongjiang=info,warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal, never in a log file.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn read_password(flag: bool) -> anyhow::Result<String> {
    if !flag {
        bail!("pass --password-stdin and give the password on standard input (it never goes on the command line)");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from standard input")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    crate::auth::password::validate_new(&pw)
        .map_err(|m| anyhow::anyhow!("{m} (password must be at least 8 characters)"))?;
    Ok(pw)
}

/// The organisation a command names by its code, or a clear refusal.
async fn org_by_code(db: &crate::db::Db, code: &str) -> anyhow::Result<crate::org::store::Org> {
    crate::org::store::get_by_code(db, code)
        .await?
        .with_context(|| format!("no organisation with code '{code}'"))
}

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Serve {
            db: args,
            listen,
            behind_https,
        } => {
            let (db, keys) = config::open(&args.db, args.key_file.as_deref()).await?;
            let files = config::files_dir(&args.db, args.key_file.as_deref())?;
            let state = AppState::new(db, keys)
                .with_files(files)
                .behind_https(behind_https);
            app::serve(state, &listen).await
        }
        Command::Migrate { db } => {
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            let version = crate::db::schema_version();
            drop(db);
            println!("database is at schema version {version}");
            Ok(())
        }
        Command::Seed {
            what: SeedCommand::Demo { db },
        } => {
            let files = config::files_dir(&db.db, db.key_file.as_deref())?;
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let demo = crate::program::Demo {
                db,
                keys,
                files: Some(crate::files::FileStore::new(files)),
            };
            println!("{}", crate::programs::load_demo(&demo, true).await?);
            Ok(())
        }
        Command::Demo {
            db: args,
            listen,
            behind_https,
        } => {
            let (db, keys) = config::open(&args.db, args.key_file.as_deref()).await?;
            let files = config::files_dir(&args.db, args.key_file.as_deref())?;
            let demo = crate::program::Demo {
                db: db.clone(),
                keys: keys.clone(),
                files: Some(crate::files::FileStore::new(files.clone())),
            };
            println!("{}", crate::programs::load_demo(&demo, true).await?);
            println!("{}", crate::seed::demo::LOGINS);
            println!("Open http://{listen} in a browser.");
            let state = AppState::new(db, keys)
                .with_files(files)
                .behind_https(behind_https);
            app::serve(state, &listen).await
        }
        Command::User {
            what:
                UserCommand::Add {
                    username,
                    org,
                    role,
                    member_id,
                    password_stdin,
                    db,
                },
        } => {
            let password = read_password(password_stdin)?;
            let (username, role) =
                accounts::parse_new(&username, &password, &role).map_err(describe)?;
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let org = org_by_code(&db, &org).await?;
            if role == Role::Member && member_id.is_none() {
                bail!("a member account needs --member-id (the member record it belongs to)");
            }
            if let Some(mid) = member_id {
                let m =
                    crate::member::store::get(&db, &keys, &crate::auth::Scope::everything(), mid)
                        .await
                        .map_err(|_| anyhow::anyhow!("no member with id {mid}"))?;
                if role == Role::Member && m.org_id != org.id {
                    bail!(
                        "member {mid} belongs to {} ({}), not to {}",
                        m.org_name,
                        m.org_id,
                        org.name
                    );
                }
            }
            let id = accounts::create(
                &db,
                &keys,
                &crate::audit::Actor::cli(),
                &accounts::NewAccount {
                    username: username.clone(),
                    password,
                    role,
                    org_id: org.id,
                    member_id,
                },
            )
            .await
            .map_err(describe)?;
            println!(
                "account {username} (id {id}) added: {} at {} ({})",
                role.as_str(),
                org.name,
                org.code
            );
            Ok(())
        }
        Command::Seed {
            what:
                SeedCommand::Synthetic {
                    members,
                    seed,
                    xlsx,
                    db,
                },
        } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let started = std::time::Instant::now();
            let target = match &xlsx {
                Some(p) => crate::seed::synthetic::Target::Xlsx(p),
                None => crate::seed::synthetic::Target::Database,
            };
            let s = crate::seed::synthetic::build(&db, &keys, members, seed, target).await?;
            println!(
                "synthetic city {}: {} organisations, {} enterprises, {} members {} in {:.1} s",
                crate::seed::synthetic::ROOT_CODE,
                s.orgs,
                s.enterprises,
                s.members,
                match &xlsx {
                    Some(p) => format!("written to {}", p.display()),
                    None => "in the database".into(),
                },
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Import { what } => {
            use crate::roster::outcome::Kind;
            let (kind, args) = match what {
                ImportCommand::Members(a) => (Kind::Members, a),
                ImportCommand::Orgs(a) => (Kind::Orgs, a),
                ImportCommand::Enterprises(a) => (Kind::Enterprises, a),
            };
            import_file(kind, args).await
        }
        Command::Export {
            what:
                ExportCommand::Members {
                    org,
                    output,
                    reveal,
                    db,
                },
        } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let org = org_by_code(&db, &org).await?;
            let what = crate::roster::export::Export {
                org: &org,
                scope: &crate::auth::Scope::everything(),
                filter: &crate::member::store::Filter::default(),
                reveal,
            };
            let n = crate::roster::export::export(
                &db,
                &keys,
                &crate::audit::Actor::cli(),
                &what,
                &output,
            )
            .await?;
            println!(
                "{n} members of {} exported to {}{}",
                org.name,
                output.display(),
                if reveal {
                    " with whole ID numbers and phones (recorded in the audit log)"
                } else {
                    " (masked)"
                }
            );
            Ok(())
        }
        Command::Report {
            org,
            year,
            output,
            db,
        } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let org = org_by_code(&db, &org).await?;
            let state = crate::state::AppState::new(db, keys);
            // The programs' figures, as the server registers them.
            crate::program::register(crate::programs::registry());
            let caller = crate::auth::Caller::operator(org.id, &org.path, &org.name);
            let (bytes, _) = crate::dashboard::ops::report(&state, &caller, Some(org.id), year)
                .await
                .map_err(|e| anyhow::anyhow!(e.form_message()))?;
            std::fs::write(&output, bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            println!("report of {} written to {}", org.name, output.display());
            Ok(())
        }
        Command::Points {
            what: PointsCommand::Expire { db },
        } => {
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            let expired = crate::ledger::store::expire_due(
                &db,
                &crate::audit::Actor::cli(),
                crate::db::now_ms(),
            )
            .await
            .map_err(describe)?;
            println!("{expired} points expired");
            Ok(())
        }
        Command::Backup { db, output } => {
            let c = crate::db::backup::backup(&db.db, &output).await?;
            println!(
                "backup written: {} ({} bytes: {} organisations, {} members, {} audit entries)",
                output.display(),
                c.bytes,
                c.orgs,
                c.members,
                c.audit_entries
            );
            print_keep_beside(&db);
            Ok(())
        }
        Command::Restore { file, db } => {
            let c = crate::db::backup::restore(&file, &db.db).await?;
            println!(
                "restored into {}: {} organisations, {} members, {} audit entries",
                crate::db::redact(&db.db),
                c.orgs,
                c.members,
                c.audit_entries
            );
            print_keep_beside(&db);
            println!(
                "then check it: gongjiang audit verify --db {}",
                crate::db::redact(&db.db)
            );
            Ok(())
        }
        Command::Audit {
            what: AuditCommand::Verify { checkpoint, db },
        } => {
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            match crate::audit::store::verify_with(&db, &checkpoint).await? {
                Ok(n) => {
                    println!(
                        "audit log intact: {n} entries, every seal, link and checkpoint checked"
                    );
                    let line = crate::audit::store::checkpoint(&db).await?;
                    println!("checkpoint (keep a copy elsewhere; `audit verify --checkpoint` checks against it):");
                    println!("{line}");
                    Ok(())
                }
                Err(b) => bail!("audit log BROKEN at entry {}: {}", b.id, b.reason),
            }
        }
        Command::User {
            what:
                UserCommand::Bulk {
                    org,
                    output,
                    activate_url,
                    db,
                },
        } => {
            use crate::auth::activation::ops;
            if output.exists() {
                bail!("{} exists; name a new file", output.display());
            }
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let org = org_by_code(&db, &org).await?;
            let everything = crate::auth::Scope::everything();
            let r = ops::issue(
                &db,
                &keys,
                &crate::audit::Actor::cli(),
                &everything,
                &org,
                None,
            )
            .await
            .map_err(describe)?;
            let bytes = ops::codes_workbook(&r, &activate_url)?;
            // The sheet holds live codes: the owner's alone.
            {
                use std::io::Write;
                use std::os::unix::fs::OpenOptionsExt;
                std::fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&output)
                    .and_then(|mut f| f.write_all(&bytes))
                    .with_context(|| format!("cannot write {}", output.display()))?;
            }
            println!(
                "{}：开通 {} 个会员账号，{} 人未开通（原因见“未开通”工作表）；激活码有效期至 {}，已写入 {}",
                org.name,
                r.created.len(),
                r.skipped.len(),
                r.expires,
                output.display()
            );
            Ok(())
        }
        Command::User {
            what:
                UserCommand::Passwd {
                    username,
                    password_stdin,
                    db,
                },
        } => {
            let password = read_password(password_stdin)?;
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let id = accounts::id_by_username(&db, &keys, &username)
                .await
                .map_err(describe)?
                .with_context(|| format!("no account named '{username}'"))?;
            accounts::set_password(&db, &crate::audit::Actor::cli(), id, &password)
                .await
                .map_err(describe)?;
            println!("password of {username} changed; its sessions have ended");
            Ok(())
        }
    }
}

/// An application error as a one-line CLI message.
fn describe(e: crate::web::error::AppError) -> anyhow::Error {
    if let crate::web::error::AppError::Internal(inner) = e {
        return inner;
    }
    let fields: Vec<String> = e
        .field_errors()
        .into_iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect();
    if fields.is_empty() {
        anyhow::anyhow!("{e}")
    } else {
        anyhow::anyhow!("{}", fields.join("; "))
    }
}

async fn import_file(kind: crate::roster::outcome::Kind, args: ImportArgs) -> anyhow::Result<()> {
    use crate::roster::import::{self, Mode};
    let ImportArgs {
        file,
        org,
        mode,
        report,
        register_employers,
        db,
    } = args;
    use crate::roster::running::Progress;
    use std::sync::atomic::Ordering;
    let mode = Mode::parse(&mode).map_err(anyhow::Error::msg)?;
    if !file.exists() {
        bail!("{} does not exist", file.display());
    }
    let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
    let org = org_by_code(&db, &org).await?;
    let filename = file
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let actor = crate::audit::Actor::cli();
    let id = crate::roster::store::create_job(&db, &actor, &org, kind, mode, &filename).await?;
    let progress = std::sync::Arc::new(Progress::default());
    let bar = indicatif::ProgressBar::new(0).with_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {bar:40} {pos}/{len} 行 {msg}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let ticker = {
        let (bar, progress) = (bar.clone(), progress.clone());
        tokio::spawn(async move {
            loop {
                bar.set_length(progress.rows_total.load(Ordering::Relaxed).max(0) as u64);
                bar.set_position(progress.rows_done.load(Ordering::Relaxed).max(0) as u64);
                let failed = progress.rows_failed.load(Ordering::Relaxed);
                if failed > 0 {
                    bar.set_message(format!("有误 {failed} 行"));
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
        })
    };
    let started = std::time::Instant::now();
    let job = import::Job {
        id,
        actor,
        org,
        kind,
        mode,
        filename,
        register_employers,
    };
    let result = import::run(
        &db,
        std::sync::Arc::new(keys),
        &crate::roster::isolate::Parser::current_exe(),
        &job,
        &file,
        progress,
    )
    .await;
    ticker.abort();
    bar.finish_and_clear();
    let outcome = result?;
    eprintln!(
        "import #{id} of {} into {} ({}) in {:.1} s",
        file.display(),
        job.org.name,
        job.org.code,
        started.elapsed().as_secs_f64()
    );
    println!("{}", outcome.message);
    for e in outcome.errors.iter().take(20) {
        println!("  {} 第{}行 [{}] {}", e.sheet, e.row, e.column, e.reason);
    }
    if outcome.rows_failed > 20 {
        println!("  … 共 {} 行有误", outcome.rows_failed);
    }
    if let Some(bytes) = &outcome.report {
        let path = report.unwrap_or_else(|| file.with_extension("errors.xlsx"));
        std::fs::write(&path, bytes).with_context(|| format!("cannot write {}", path.display()))?;
        println!(
            "有误的行已写入 {}（含“错误原因”列，改正后可直接重新导入）",
            path.display()
        );
    }
    match outcome.state.as_str() {
        "done" => Ok(()),
        "checked" if outcome.rows_failed == 0 => Ok(()),
        state => bail!("import {state}: {}", outcome.message),
    }
}

/// What a backup does not hold, named so that nobody forgets it.
fn print_keep_beside(db: &DbArgs) {
    match config::key_path(&db.db, db.key_file.as_deref()) {
        Ok(key) => println!(
            "not in the backup, keep a copy with it: the key file {} (without it ID numbers and phones cannot be read)",
            key.display()
        ),
        Err(_) => println!(
            "not in the backup, keep a copy with it: the key file (--key-file); without it ID numbers and phones cannot be read"
        ),
    }
    if let Ok(files) = config::files_dir(&db.db, db.key_file.as_deref()) {
        println!(
            "and the file store {} (lesson videos and other uploads)",
            files.display()
        );
    }
}
