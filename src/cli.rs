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
    },
    /// Manage accounts
    User {
        #[command(subcommand)]
        what: UserCommand,
    },
    /// The audit log
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain; exits non-zero and names the first broken entry if it is broken
    Verify {
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
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("GONGJIANG_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("gongjiang=info,warn")),
        )
        .with_writer(std::io::stderr)
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

async fn run(cmd: Command) -> anyhow::Result<()> {
    match cmd {
        Command::Serve { db, listen } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            app::serve(AppState::new(db, keys), &listen).await
        }
        Command::Migrate { db } => {
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            let version = crate::db::MIGRATIONS.last().map(|m| m.version).unwrap_or(0);
            drop(db);
            println!("database is at schema version {version}");
            Ok(())
        }
        Command::Seed {
            what: SeedCommand::Demo { db },
        } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let report = crate::seed::demo::load(&db, &keys).await?;
            println!("{report}");
            Ok(())
        }
        Command::Demo { db, listen } => {
            let (db, keys) = config::open(&db.db, db.key_file.as_deref()).await?;
            let report = crate::seed::demo::load(&db, &keys).await?;
            println!("{report}");
            println!("{}", crate::seed::demo::LOGINS);
            println!("Open http://{listen} in a browser.");
            app::serve(AppState::new(db, keys), &listen).await
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
            let org = crate::org::store::get_by_code(&db, &org)
                .await?
                .with_context(|| format!("no organisation with code '{org}'"))?;
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
        Command::Audit {
            what: AuditCommand::Verify { db },
        } => {
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            match crate::audit::store::verify(&db).await? {
                Ok(n) => {
                    println!("audit log intact: {n} entries, every hash and link checked");
                    Ok(())
                }
                Err(b) => bail!("audit log BROKEN at entry {}: {}", b.id, b.reason),
            }
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
            let (db, _) = config::open(&db.db, db.key_file.as_deref()).await?;
            let id = accounts::id_by_username(&db, &username)
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
