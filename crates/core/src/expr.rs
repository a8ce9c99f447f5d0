//! Indicator formula expressions: numbers, data-element codes, `+ - * /`, parentheses,
//! `opening(code)`, `avg(code)` and `org.gni_per_capita`. Parse errors name the position
//! (1-based character column) so the UI can point at it.

use crate::error::{CoreError, ErrorCode, Result};
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// The element's value for the period: a stock at the last month, a flow summed.
    Value,
    /// A stock at the end of the month before the period.
    Opening,
    /// (opening + value) / 2 of a stock.
    Avg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgParam {
    GniPerCapita,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Num(f64),
    Elem {
        code: String,
        access: Access,
        pos: usize,
    },
    Org(OrgParam),
    Neg(Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// Why an expression could not be evaluated to a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EvalIssue {
    DivisionByZero,
    MissingOrgParam(OrgParam),
}

/// Most tokens (numbers, names, signs, parentheses) in a formula; the built-in ones have at
/// most 9. Counted in tokens, not characters, so that the canonical form (which adds spaces)
/// of an accepted formula is accepted too.
pub const MAX_TOKENS: usize = 1000;
/// Deepest nesting of parentheses, functions and signs accepted: the parser, the evaluator
/// and the display recurse, and a formula such as `((((…` must not exhaust the stack.
pub const MAX_NESTING: usize = 64;

pub(crate) fn formula_error(src: &str, pos: usize, what: impl fmt::Display) -> CoreError {
    let message = format!("formula '{src}', at position {pos}: {what}");
    CoreError::new(ErrorCode::InvalidFormula, message.clone()).with_fields(vec![
        crate::error::FieldError {
            field: "formula".into(),
            message,
            position: Some(pos as u32),
        },
    ])
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Op(char),
    LParen,
    RParen,
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let pos = i + 1;
        if out.len() == MAX_TOKENS && !c.is_whitespace() {
            let head: String = chars.iter().take(40).collect();
            return Err(formula_error(
                &format!("{head}…"),
                pos,
                format!("the formula is too long (more than {MAX_TOKENS} numbers, names, signs and parentheses)"),
            ));
        }
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() || c == '.' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let v: f64 = text
                .parse()
                .map_err(|_| formula_error(src, pos, format!("'{text}' is not a number")))?;
            if !v.is_finite() {
                // It would be stored as "inf", which reads back as a data element's name.
                return Err(formula_error(src, pos, "this number is too large"));
            }
            out.push((Tok::Num(v), pos));
        } else if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '.')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            out.push((Tok::Ident(text), pos));
        } else if "+-*/".contains(c) {
            out.push((Tok::Op(c), pos));
            i += 1;
        } else if c == '(' {
            out.push((Tok::LParen, pos));
            i += 1;
        } else if c == ')' {
            out.push((Tok::RParen, pos));
            i += 1;
        } else {
            return Err(formula_error(
                src,
                pos,
                format!("unexpected character '{c}'"),
            ));
        }
    }
    Ok(out)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    i: usize,
    depth: usize,
}

impl Parser<'_> {
    /// Enters one level of nesting (a parenthesis or a sign) at `pos`.
    fn nest(&mut self, pos: usize) -> Result<()> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(formula_error(
                self.src,
                pos,
                format!("the formula nests too deeply (more than {MAX_NESTING} levels of parentheses or signs)"),
            ));
        }
        Ok(())
    }
    fn end_pos(&self) -> usize {
        self.src.chars().count() + 1
    }
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|t| &t.0)
    }
    fn pos(&self) -> usize {
        self.toks
            .get(self.i)
            .map(|t| t.1)
            .unwrap_or_else(|| self.end_pos())
    }
    fn expr(&mut self) -> Result<Expr> {
        let mut lhs = self.term()?;
        while let Some(Tok::Op(c @ ('+' | '-'))) = self.peek() {
            let op = if *c == '+' { BinOp::Add } else { BinOp::Sub };
            self.i += 1;
            let rhs = self.term()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }
    fn term(&mut self) -> Result<Expr> {
        let mut lhs = self.unary()?;
        while let Some(Tok::Op(c @ ('*' | '/'))) = self.peek() {
            let op = if *c == '*' { BinOp::Mul } else { BinOp::Div };
            self.i += 1;
            let rhs = self.unary()?;
            lhs = Expr::Bin(op, Box::new(lhs), Box::new(rhs));
        }
        Ok(lhs)
    }
    fn unary(&mut self) -> Result<Expr> {
        if let Some(Tok::Op('-')) = self.peek() {
            self.nest(self.pos())?;
            self.i += 1;
            let inner = self.unary()?;
            self.depth -= 1;
            return Ok(Expr::Neg(Box::new(inner)));
        }
        self.primary()
    }
    fn primary(&mut self) -> Result<Expr> {
        let pos = self.pos();
        let Some((tok, _)) = self.toks.get(self.i).cloned() else {
            return Err(formula_error(self.src, pos, "the formula ends too early"));
        };
        self.i += 1;
        match tok {
            Tok::Num(v) => Ok(Expr::Num(v)),
            Tok::LParen => {
                self.nest(pos)?;
                let e = self.expr()?;
                self.expect_rparen(pos)?;
                self.depth -= 1;
                Ok(e)
            }
            Tok::Ident(name) => {
                if let Some(Tok::LParen) = self.peek() {
                    let access = match name.as_str() {
                        "opening" => Access::Opening,
                        "avg" => Access::Avg,
                        _ => {
                            return Err(formula_error(
                                self.src,
                                pos,
                                format!("unknown function '{name}' (use opening() or avg())"),
                            ))
                        }
                    };
                    self.i += 1;
                    let arg_pos = self.pos();
                    let code = match self.toks.get(self.i).cloned() {
                        Some((Tok::Ident(c), _)) if !c.contains('.') => c,
                        _ => {
                            return Err(formula_error(
                                self.src,
                                arg_pos,
                                format!("{name}() takes one data element code, e.g. {name}(glp)"),
                            ))
                        }
                    };
                    self.i += 1;
                    self.expect_rparen(pos)?;
                    return Ok(Expr::Elem {
                        code,
                        access,
                        pos: arg_pos,
                    });
                }
                if name == "org.gni_per_capita" {
                    return Ok(Expr::Org(OrgParam::GniPerCapita));
                }
                if name.contains('.') {
                    return Err(formula_error(
                        self.src,
                        pos,
                        format!("unknown name '{name}' (the only institution value is org.gni_per_capita)"),
                    ));
                }
                Ok(Expr::Elem {
                    code: name,
                    access: Access::Value,
                    pos,
                })
            }
            Tok::Op(c) => Err(formula_error(self.src, pos, format!("unexpected '{c}'"))),
            Tok::RParen => Err(formula_error(self.src, pos, "unexpected ')'")),
        }
    }
    fn expect_rparen(&mut self, open_pos: usize) -> Result<()> {
        match self.peek() {
            Some(Tok::RParen) => {
                self.i += 1;
                Ok(())
            }
            _ => Err(formula_error(
                self.src,
                self.pos(),
                format!("missing ')' to close the '(' at position {open_pos}"),
            )),
        }
    }
}

impl Expr {
    /// Parses a formula. Empty formulas are refused.
    pub fn parse(src: &str) -> Result<Expr> {
        let toks = lex(src)?;
        if toks.is_empty() {
            return Err(formula_error(src, 1, "the formula is empty"));
        }
        let mut p = Parser {
            src,
            toks,
            i: 0,
            depth: 0,
        };
        let e = p.expr()?;
        if p.i < p.toks.len() {
            let pos = p.pos();
            return Err(formula_error(
                src,
                pos,
                "unexpected text after the end of the formula",
            ));
        }
        Ok(e)
    }

    /// Every data element reference, in order of appearance (with duplicates).
    pub fn refs(&self) -> Vec<(&str, Access, usize)> {
        let mut out = Vec::new();
        self.walk(&mut |e| {
            if let Expr::Elem { code, access, pos } = e {
                out.push((code.as_str(), *access, *pos));
            }
        });
        out
    }

    pub fn uses_org(&self, p: OrgParam) -> bool {
        let mut found = false;
        self.walk(&mut |e| {
            if *e == Expr::Org(p) {
                found = true
            }
        });
        found
    }

    fn walk<'s>(&'s self, f: &mut impl FnMut(&'s Expr)) {
        f(self);
        match self {
            Expr::Neg(a) => a.walk(f),
            Expr::Bin(_, a, b) => {
                a.walk(f);
                b.walk(f);
            }
            _ => {}
        }
    }

    /// Evaluates with `elem(code, access)` giving the (already aggregated) element values.
    pub fn eval(
        &self,
        elem: &mut impl FnMut(&str, Access) -> f64,
        gni_per_capita: Option<f64>,
    ) -> std::result::Result<f64, EvalIssue> {
        Ok(match self {
            Expr::Num(v) => *v,
            Expr::Elem { code, access, .. } => elem(code, *access),
            Expr::Org(OrgParam::GniPerCapita) => {
                gni_per_capita.ok_or(EvalIssue::MissingOrgParam(OrgParam::GniPerCapita))?
            }
            Expr::Neg(a) => -a.eval(elem, gni_per_capita)?,
            Expr::Bin(op, a, b) => {
                let x = a.eval(elem, gni_per_capita)?;
                let y = b.eval(elem, gni_per_capita)?;
                match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => {
                        if y == 0.0 {
                            return Err(EvalIssue::DivisionByZero);
                        }
                        x / y
                    }
                }
            }
        })
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fn prec(e: &Expr) -> u8 {
            match e {
                Expr::Bin(BinOp::Add | BinOp::Sub, ..) => 1,
                Expr::Bin(BinOp::Mul | BinOp::Div, ..) => 2,
                _ => 3,
            }
        }
        match self {
            Expr::Num(v) => write!(f, "{v}"),
            Expr::Elem {
                code,
                access: Access::Value,
                ..
            } => write!(f, "{code}"),
            Expr::Elem {
                code,
                access: Access::Opening,
                ..
            } => write!(f, "opening({code})"),
            Expr::Elem {
                code,
                access: Access::Avg,
                ..
            } => write!(f, "avg({code})"),
            Expr::Org(OrgParam::GniPerCapita) => write!(f, "org.gni_per_capita"),
            Expr::Neg(a) => {
                if prec(a) < 3 {
                    write!(f, "-({a})")
                } else {
                    write!(f, "-{a}")
                }
            }
            Expr::Bin(op, a, b) => {
                let p = prec(self);
                let sym = match op {
                    BinOp::Add => "+",
                    BinOp::Sub => "-",
                    BinOp::Mul => "*",
                    BinOp::Div => "/",
                };
                if prec(a) < p {
                    write!(f, "({a})")?;
                } else {
                    write!(f, "{a}")?;
                }
                write!(f, " {sym} ")?;
                // A right operand of equal precedence keeps its parentheses whatever the
                // operator: `a + (b - c)` is not computed like `a + b - c` in floating point.
                if prec(b) <= p {
                    write!(f, "({b})")
                } else {
                    write!(f, "{b}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(src: &str, vals: &[(&str, f64)]) -> std::result::Result<f64, EvalIssue> {
        let e = Expr::parse(src).expect("parses");
        e.eval(
            &mut |c, a| {
                let v = vals
                    .iter()
                    .find(|(k, _)| *k == c)
                    .map(|x| x.1)
                    .unwrap_or(f64::NAN);
                match a {
                    Access::Value => v,
                    Access::Opening => v / 2.0,
                    Access::Avg => (v / 2.0 + v) / 2.0,
                }
            },
            Some(1000.0),
        )
    }

    #[test]
    fn precedence_and_parentheses() {
        assert_eq!(eval("1 + 2 * 3", &[]), Ok(7.0), "* binds tighter than +");
        assert_eq!(
            eval("(1 + 2) * 3", &[]),
            Ok(9.0),
            "parentheses override precedence"
        );
        assert_eq!(eval("8 / 4 / 2", &[]), Ok(1.0), "/ is left-associative");
        assert_eq!(eval("-2 * -3", &[]), Ok(6.0), "unary minus");
        assert_eq!(eval("10 - 4 - 3", &[]), Ok(3.0), "- is left-associative");
    }

    #[test]
    fn functions_and_org_values() {
        assert_eq!(
            eval("opening(glp)", &[("glp", 100.0)]),
            Ok(50.0),
            "opening() access"
        );
        assert_eq!(
            eval("avg(glp)", &[("glp", 100.0)]),
            Ok(75.0),
            "avg() access"
        );
        assert_eq!(
            eval("glp / org.gni_per_capita", &[("glp", 5000.0)]),
            Ok(5.0),
            "GNI per capita"
        );
    }

    #[test]
    fn division_by_zero_is_an_issue_not_infinity() {
        assert_eq!(
            eval("1 / (glp - glp)", &[("glp", 3.0)]),
            Err(EvalIssue::DivisionByZero)
        );
    }

    #[test]
    fn errors_name_the_position() {
        let cases = [
            ("glp +", 6, "ends too early"),
            ("glp $ 2", 5, "unexpected character"),
            ("(glp + 1", 9, "missing ')'"),
            ("sum(glp)", 1, "unknown function"),
            ("avg(1)", 5, "takes one data element"),
            ("glp glp", 5, "unexpected text"),
            ("org.foo", 1, "unknown name"),
            ("", 1, "empty"),
        ];
        for (src, pos, what) in cases {
            let e = Expr::parse(src).expect_err(src);
            assert_eq!(
                e.code,
                ErrorCode::InvalidFormula,
                "{src}: formula errors have their own code"
            );
            assert!(
                e.message.contains(&format!("position {pos}")) && e.message.contains(what),
                "{src}: expected position {pos} and '{what}' in: {}",
                e.message
            );
        }
    }

    /// Deep nesting (`((((…`, `----…`) overflowed the stack of the recursive parser (and of
    /// the evaluator and display after it), a crash of the app's worker thread.
    #[test]
    fn deep_nesting_and_huge_formulas_are_refused_not_a_crash() {
        for src in [
            "(".repeat(100_000),
            format!(
                "{}glp{}",
                "(".repeat(MAX_NESTING + 1),
                ")".repeat(MAX_NESTING + 1)
            ),
            format!("{}glp", "-".repeat(100_000)),
            "1+".repeat(50_000) + "1",
        ] {
            let e = Expr::parse(&src).expect_err("refused");
            assert_eq!(e.code, ErrorCode::InvalidFormula, "{}", e.message);
            assert!(
                e.message.contains("too deeply") || e.message.contains("too long"),
                "the reason is given: {}",
                e.message
            );
            assert!(
                e.message.len() < 300,
                "the message does not repeat the whole formula"
            );
        }
        let ok = format!("{}glp{}", "(".repeat(MAX_NESTING), ")".repeat(MAX_NESTING));
        assert_eq!(
            eval(&ok, &[("glp", 2.0)]),
            Ok(2.0),
            "{MAX_NESTING} levels are fine"
        );
        let long = vec!["glp"; 300].join(" + ");
        assert_eq!(
            eval(&long, &[("glp", 1.0)]),
            Ok(300.0),
            "a long sum is fine"
        );
    }

    /// Found by fuzzing (`make fuzz`, target `formula`): the canonical form dropped the
    /// parentheses of `a + (b - c)` (and `a * (b / c)`), which then evaluated as
    /// `(a + b) - c`: another rounding, so a stored formula gave another value than the one
    /// typed (0.19999999999999996 instead of 0.20000000000000018 for the input below).
    #[test]
    fn the_canonical_form_keeps_the_order_of_evaluation() {
        for (src, canonical) in [
            ("a +(-se-F*.6)", "a + (-se - F * 0.6)"),
            ("a + (b + c)", "a + (b + c)"),
            ("a * (b / c)", "a * (b / c)"),
            ("a + b + c", "a + b + c"),
            ("(a - b) - c", "a - b - c"),
        ] {
            let e = Expr::parse(src).expect("parses");
            assert_eq!(e.to_string(), canonical, "canonical form of {src}");
            let again = Expr::parse(canonical).expect("parses again");
            let vals = [
                ("a", 0.1),
                ("b", 0.7),
                ("c", 0.3),
                ("se", 0.5),
                ("F", 0.1 / 3.0),
            ];
            let v = |x: &Expr| {
                x.eval(
                    &mut |c, _| vals.iter().find(|k| k.0 == c).map(|k| k.1).unwrap_or(1.0),
                    None,
                )
            };
            assert_eq!(v(&e), v(&again), "the same value for {src}");
        }
    }

    /// A number beyond f64 became infinity, written "inf" in the canonical form, which then
    /// read back as a reference to a data element called `inf`.
    #[test]
    fn a_number_too_large_is_refused() {
        let src = format!("glp * 1{}", "0".repeat(400));
        let e = Expr::parse(&src).expect_err("refused");
        assert!(
            e.message.contains("too large") && e.message.contains("position 7"),
            "{}",
            e.message
        );
        let ok = format!("1{}", "0".repeat(300));
        let e = Expr::parse(&ok).expect("1e300 is a number");
        assert_eq!(
            Expr::parse(&e.to_string()).expect("again").to_string(),
            e.to_string()
        );
    }

    /// Found by fuzzing (`make fuzz`, target `formula`): with a limit in characters, a formula
    /// just under it was accepted but its canonical form — the stored one, with spaces around
    /// the operators — was over it and no longer parsed. The limit is now in tokens.
    #[test]
    fn the_canonical_form_of_any_accepted_formula_parses_again() {
        let terms = MAX_TOKENS / 2;
        let src = vec!["glp"; terms].join("+");
        let e = Expr::parse(&src).expect("just under the limit");
        let canonical = e.to_string();
        assert!(canonical.len() > src.len(), "the canonical form is longer");
        let again = Expr::parse(&canonical).expect("the canonical form parses");
        assert_eq!(again.to_string(), canonical, "and is stable");
        let over = vec!["glp"; terms + 1].join("+");
        let err = Expr::parse(&over).expect_err("over the limit");
        assert!(err.message.contains("too long"), "{}", err.message);
    }

    #[test]
    fn display_round_trips() {
        for src in [
            "glp - (a - b)",
            "a / (b * c)",
            "(a + b) * c",
            "-(a + b)",
            "avg(glp) / 2",
        ] {
            let e = Expr::parse(src).expect("parses");
            let again = Expr::parse(&e.to_string()).expect("display output parses");
            assert_eq!(
                e.to_string(),
                again.to_string(),
                "display is stable for {src}"
            );
            assert_eq!(e.to_string(), src, "canonical form of {src}");
        }
    }
}
