//! A tiny dynamic-SQL builder: `$n` placeholders numbered as arguments are
//! pushed, so one text runs on both backends.

use sqlx::any::{AnyArguments, AnyRow};
use sqlx::query::Query;
use sqlx::Any;

#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    OptInt(Option<i64>),
    OptText(Option<String>),
    OptBytes(Option<Vec<u8>>),
}

#[derive(Debug, Default, Clone)]
pub struct Sql {
    pub text: String,
    pub args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: vec![],
        }
    }

    pub fn push(&mut self, s: &str) -> &mut Sql {
        self.text.push_str(s);
        self
    }

    /// Adds an argument and returns its placeholder.
    pub fn arg(&mut self, a: Arg) -> String {
        self.args.push(a);
        format!("${}", self.args.len())
    }

    pub fn int(&mut self, v: i64) -> String {
        self.arg(Arg::Int(v))
    }

    pub fn text(&mut self, v: impl Into<String>) -> String {
        self.arg(Arg::Text(v.into()))
    }

    pub fn query(&self) -> Query<'_, Any, AnyArguments<'_>> {
        let mut q = sqlx::query(&self.text);
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::OptInt(v) => q.bind(*v),
                Arg::OptText(v) => q.bind(v.clone()),
                Arg::OptBytes(v) => q.bind(v.clone()),
            };
        }
        q
    }

    pub async fn fetch_all<'e, E>(&self, exec: E) -> Result<Vec<AnyRow>, sqlx::Error>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        self.query().fetch_all(exec).await
    }

    pub async fn fetch_count<'e, E>(&self, exec: E) -> Result<i64, sqlx::Error>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        use sqlx::Row;
        let row = self.query().fetch_one(exec).await?;
        row.try_get::<i64, _>(0)
    }

    /// Several counts in one statement: each of `parts` is a `SELECT COUNT(*) …`
    /// whose arguments were pushed into `self`; their values in that order.
    pub async fn fetch_counts<'e, E>(
        mut self,
        parts: &[String],
        exec: E,
    ) -> Result<Vec<i64>, sqlx::Error>
    where
        E: sqlx::Executor<'e, Database = Any>,
    {
        use sqlx::Row;
        if parts.is_empty() {
            return Ok(vec![]);
        }
        let selects: Vec<String> = parts
            .iter()
            .enumerate()
            .map(|(i, p)| format!("SELECT CAST({i} AS BIGINT) AS k, CAST(({p}) AS BIGINT) AS n"))
            .collect();
        self.push(&format!("{} ORDER BY k", selects.join(" UNION ALL ")));
        let rows = self.query().fetch_all(exec).await?;
        rows.iter().map(|r| r.try_get::<i64, _>(1)).collect()
    }
}
