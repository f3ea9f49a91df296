"""Assertion rewriting for the tests of Python exercises: `assert a == b` fails with "expected
X, got Y". Compile-time only: the worker compiles an exercise's tests with it once (and the
harness, python_harness.py, when it must compile them itself); standard library only."""

from __future__ import annotations

import ast
import textwrap

_OPERATORS = {
    ast.Eq: "==",
    ast.NotEq: "!=",
    ast.Lt: "<",
    ast.LtE: "<=",
    ast.Gt: ">",
    ast.GtE: ">=",
    ast.In: "in",
    ast.NotIn: "not in",
    ast.Is: "is",
    ast.IsNot: "is not",
}


def _has_call(node: ast.AST) -> bool:
    return any(isinstance(child, ast.Call) for child in ast.walk(node))


class AssertRewriter(ast.NodeTransformer):
    """`assert a == b, msg` -> evaluate a and b once; on failure raise a message with both."""

    def __init__(self, source: str) -> None:
        # Split once: ast.get_source_segment splits the whole file on every call,
        # which made rewriting 30 asserts cost more than running the tests.
        self.lines = source.splitlines(keepends=True)

    def segment(self, node: ast.expr) -> str:
        end_line, end_col = node.end_lineno, node.end_col_offset
        if end_line is None or end_col is None:
            return "..."
        first, last = node.lineno - 1, end_line - 1
        if first == last:
            return self.lines[first].encode()[node.col_offset : end_col].decode()
        parts = [self.lines[first].encode()[node.col_offset :].decode()]
        parts += self.lines[first + 1 : last]
        parts.append(self.lines[last].encode()[:end_col].decode())
        return "".join(parts)

    def visit_Assert(self, node: ast.Assert) -> ast.AST | list[ast.stmt]:
        source = self.segment(node.test) or "..."
        message = [node.msg] if node.msg is not None else []
        test = node.test
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _OPERATORS:
            left, right = "_zachet_left", "_zachet_right"
            # "assert result == expected" vs "assert 3 == add(1, 2)": the call is the actual.
            actual_on_left = _has_call(test.left) or not _has_call(test.comparators[0])
            raise_call = ast.Call(
                func=ast.Name("_zachet_assert_failed", ast.Load()),
                args=[
                    ast.Name(left, ast.Load()),
                    ast.Name(right, ast.Load()),
                    ast.Constant(_OPERATORS[type(test.ops[0])]),
                    ast.Constant(source),
                    ast.Constant(actual_on_left),
                    *message,
                ],
                keywords=[],
            )
            compare: ast.expr = ast.Compare(
                ast.Name(left, ast.Load()), test.ops, [ast.Name(right, ast.Load())]
            )
            if isinstance(test.ops[0], ast.Eq):
                compare = ast.Call(
                    func=ast.Name("_zachet_equal", ast.Load()),
                    args=[ast.Name(left, ast.Load()), ast.Name(right, ast.Load())],
                    keywords=[],
                )
            statements: list[ast.stmt] = [
                ast.Assign([ast.Name(left, ast.Store())], test.left),
                ast.Assign([ast.Name(right, ast.Store())], test.comparators[0]),
                ast.If(
                    test=ast.UnaryOp(ast.Not(), compare),
                    body=[ast.Raise(exc=raise_call)],
                    orelse=[],
                ),
            ]
        else:
            statements = [
                ast.If(
                    test=ast.UnaryOp(ast.Not(), test),
                    body=[
                        ast.Raise(
                            exc=ast.Call(
                                func=ast.Name("_zachet_plain_assert_failed", ast.Load()),
                                args=[ast.Constant(source), *message],
                                keywords=[],
                            )
                        )
                    ],
                    orelse=[],
                )
            ]
        for statement in statements:
            ast.copy_location(statement, node)
            ast.fix_missing_locations(statement)
        return statements


def test_function_sources(source: str, tree: ast.Module) -> dict[str, str]:
    """Source of each test function by qualified name ("func", "Class.method")."""
    found: dict[str, str] = {}

    def add(prefix: str, body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found[prefix + node.name] = textwrap.dedent(
                    "\n".join(source.splitlines()[node.lineno - 1 : node.end_lineno])
                )
            elif isinstance(node, ast.ClassDef) and not prefix:
                add(node.name + ".", node.body)

    add("", tree.body)
    return found


def compile_rewritten(path: str, source: str) -> object:
    """The tests' code object, asserts rewritten (SyntaxError when they do not parse)."""
    tree = ast.parse(source, filename=path)
    return compile(AssertRewriter(source).visit(tree), path, "exec")
