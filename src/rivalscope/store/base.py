"""The Store interface every backend implements, and what all backends share.

A backend (:mod:`~rivalscope.store.duckdb`, :mod:`~rivalscope.store.postgres`,
:mod:`~rivalscope.store.spark`) provides a handful of primitives: a transaction, a statement, a
query, a stream of rows, a staging DuckDB and a way to bring its rows into the store's database,
and an Ibis backend. Everything else is written once, here, on those primitives: the schema
migrations, the seeding of the registry and gazetteer, the reads every analysis uses (Ibis
expressions), the registry and boundary loads, and the store settings in ``meta``. Writes of
rows (ingest, rows made by code) all go through :func:`rivalscope.store.upsert.upsert`.

Nothing outside :mod:`rivalscope.store` touches a backend's connection.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

import rivalscope.actors as actor_registry
import rivalscope.places as gazetteer
from rivalscope.actors import actor_name_key
from rivalscope.errors import InputError, NotFoundError, StoreError
from rivalscope.schema import EVENT_TYPES, MIGRATIONS, REVIEW_KINDS

if TYPE_CHECKING:
    import duckdb
    import ibis.expr.types as ir

    from rivalscope.fusion.coverage import Coverage
    from rivalscope.ingest.pipeline import Step
    from rivalscope.store.upsert import IngestResult

_SEED_VERSION = "1"
_FUSED_MIGRATION = 6
"""The last migration that (re)made ``event_links`` or ``fused_events`` (5 added them, 6 gave the
fused view ``initiator``): a store older than it is linked again when migrated."""


def seed_fingerprint(registry: actor_registry.Registry) -> str:
    """The fingerprint of the built-in registry and gazetteer a store was seeded with."""
    return hashlib.sha256(
        repr(
            (
                _SEED_VERSION,
                gazetteer.GAZETTEER_VERSION,
                sorted(registry.actors.items()),
                registry.aliases,
            )
        ).encode()
    ).hexdigest()


class Store(ABC):
    """An open Rivalscope store, whatever its backend. Open one with :func:`rivalscope.open`.

    Attributes:
        path: the store as it may be shown (a file, or a URL with its password masked).
        read_only: writes raise :class:`~rivalscope.errors.StoreError`.
    """

    path: str
    read_only: bool
    backend: str
    """``duckdb``, ``postgres`` or ``spark``: also the Ibis dialect of :meth:`compile`."""

    # --- primitives each backend provides --------------------------------------------------
    @abstractmethod
    def close(self) -> None:
        """Close every connection the store holds."""

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Run the block as one transaction: all of it is committed, or none of it (and on a
        shared server, serialized with every other client's writes)."""

    @abstractmethod
    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (not a query) with ``?`` parameters on the store's database.

        Returns:
            The number of rows an INSERT, UPDATE, DELETE or CREATE TABLE ... AS touched.
        """

    @abstractmethod
    def query(
        self, sql: str, params: Sequence[Any] = (), *, schema: pa.Schema | None = None
    ) -> pa.Table:
        """The rows of a query with ``?`` parameters, as Arrow (typed by ``schema`` if given)."""

    @abstractmethod
    def stream(
        self, sql: str, params: Sequence[Any], schema: pa.Schema, batch_rows: int = 50_000
    ) -> pa.RecordBatchReader:
        """The rows of a query as a stream of Arrow batches of ``schema``, never all in memory."""

    @property
    @abstractmethod
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB database where batches are read, checked and resolved before they are
        written (the store's own database for a DuckDB store; an in-process one that mirrors the
        registry and gazetteer for a server)."""

    @abstractmethod
    def staged(self, query: str) -> AbstractContextManager[str]:
        """A table name under which the rows of ``query``, run on :attr:`staging`, can be read
        in the store's database for the duration of the block."""

    @abstractmethod
    def ibis(self) -> Any:
        """The Ibis backend over this store."""

    # --- what backends may refine ---------------------------------------------------------
    def refresh_staging(self) -> None:  # noqa: B027 - most backends stage in their own database
        """Bring the staging database's registry and gazetteer up to date with the store."""

    def ddl(self, statement: str) -> str:
        """A statement of :data:`rivalscope.schema.MIGRATIONS` in the backend's SQL."""
        return statement

    def after_migrate(self) -> None:  # noqa: B027 - most backends need nothing more
        """Anything the backend adds once the schema is current (indexes, ...)."""

    @contextmanager
    def staged_rows(self, rows: pa.Table) -> Iterator[str]:
        """A table name under which ``rows`` can be read in the store's database in the block."""
        name = f"rs_arrow_{_tag()}"
        self.staging.register(name, rows)
        try:
            with self.staged(f"SELECT * FROM {name}") as staged:
                yield staged
        finally:
            self.staging.unregister(name)

    # --- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.path!r})"

    def require_writable(self) -> None:
        """Raise :class:`StoreError` when the store is open read-only."""
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first value of the first row of a query (None when it returns no row)."""
        table = self.query(sql, params)
        return table.column(0)[0].as_py() if table.num_rows else None

    def prepare(self) -> None:
        """Migrate the schema and seed the registry and gazetteer (a writable store does this
        when it opens)."""
        self._migrate()
        self._seed()

    def _migrate(self) -> None:
        with self.transaction():
            self.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
            applied = self.scalar("SELECT max(version) FROM schema_version") or 0
            for version, statements in enumerate(MIGRATIONS, start=1):
                if version <= applied:
                    continue
                for statement in statements:
                    self.execute(self.ddl(statement))
                self.execute("INSERT INTO schema_version VALUES (?)", [version])
            if applied and applied < _FUSED_MIGRATION <= len(MIGRATIONS):
                self._relink()
        self.after_migrate()

    def _seed(self) -> None:
        """Write the built-in registry and gazetteer when they changed since the store was seeded
        (a new version of Rivalscope), and re-resolve the stored events' actors and provinces by
        them."""
        registry = actor_registry.builtin_registry()
        fingerprint = seed_fingerprint(registry)
        if self.meta("seed") == fingerprint:
            return
        with self.transaction():
            if self.meta("seed") == fingerprint:
                return
            self.execute("DELETE FROM actors WHERE builtin")
            self.execute("DELETE FROM actor_aliases WHERE builtin")
            self._insert_registry(registry, builtin=True)
            self.execute("DELETE FROM place_aliases")
            with self.staged_rows(gazetteer.place_aliases_table()) as aliases:
                self.execute(f"INSERT INTO place_aliases SELECT * FROM {aliases}")
            with self.staged_rows(gazetteer.places_table()) as places:
                # provinces an older gazetteer listed and this one does not (no polygon loaded)
                self.execute(
                    f"""DELETE FROM places WHERE level = 1 AND geometry IS NULL
                       AND code NOT IN (SELECT code FROM {places})"""
                )
                self.execute(
                    f"""INSERT INTO places (code, name, level, parent, country_iso3, latitude,
                       longitude) SELECT * FROM {places} s
                       WHERE NOT EXISTS (SELECT 1 FROM places p WHERE p.code = s.code)"""
                )
            if self.scalar("SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1) AS e"):
                self._remap_actors()
                self._remap_places()
                self._relink()
            self._put_meta("seed", fingerprint)

    def _insert_registry(self, registry: actor_registry.Registry, *, builtin: bool) -> None:
        with self.staged_rows(registry.actors_table()) as actors:
            self.execute(f"DELETE FROM actors WHERE actor_id IN (SELECT actor_id FROM {actors})")
            self.execute(
                f"""INSERT INTO actors (actor_id, name, kind, parent, country_iso3, registered,
                   builtin, description)
                   SELECT actor_id, name, kind, parent, country_iso3, true, ?, description
                   FROM {actors}""",
                [builtin],
            )
        aliases = registry.aliases_table()
        keys = [actor_registry.alias_key(a) for a in aliases.column("alias").to_pylist()]
        with self.staged_rows(aliases.append_column("alias_key", pa.array(keys))) as staged:
            self.execute(
                f"""INSERT INTO actor_aliases (alias, alias_key, actor_id, country_iso3,
                   valid_from, valid_to, kind, source, builtin)
                   SELECT alias, alias_key, actor_id, country_iso3, valid_from, valid_to, kind,
                          source, ? FROM {staged}""",
                [builtin],
            )

    # --- store settings -------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        """A store setting from the ``meta`` table (None when unset).

        The table holds a handful of rows: it is read whole, with no parameter to bind (on
        DuckDB the first bound parameter of a process costs a fifth of a second of imports,
        which every command would pay when it opens the store)."""
        settings = self.query("SELECT key, value FROM meta").to_pylist()
        found = [row["value"] for row in settings if row["key"] == key]
        return None if not found or found[0] is None else str(found[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a store setting in the ``meta`` table."""
        self.require_writable()
        with self.transaction():
            self._put_meta(key, value)

    def _put_meta(self, key: str, value: str) -> None:
        self.execute("DELETE FROM meta WHERE key = ?", [key])
        self.execute("INSERT INTO meta VALUES (?, ?)", [key, value])

    # --- writes ---------------------------------------------------------------------------
    def ingest(
        self,
        source: str,
        path: str | Path,
        *,
        encoding: str = "utf-8",
        on_step: Step | None = None,
        coverage: Coverage | None = None,
    ) -> IngestResult:
        """Ingest ``path`` with the named source (ucdp, acled, defections, displacement); see
        :func:`rivalscope.ingest.ingest`."""
        from rivalscope.ingest import ingest

        return ingest(self, source, path, encoding=encoding, on_step=on_step, coverage=coverage)

    def ingest_ucdp(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a UCDP GED (or GED Candidate) CSV as UCDP publishes it (also .gz or .zip)."""
        return self.ingest("ucdp", path, encoding=encoding, on_step=on_step)

    def ingest_acled(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest an ACLED export CSV as ACLED publishes it (also .gz or .zip)."""
        return self.ingest("acled", path, encoding=encoding, on_step=on_step)

    def ingest_defections(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a defections CSV in Rivalscope's schema (see docs/data-sources.md)."""
        return self.ingest("defections", path, encoding=encoding, on_step=on_step)

    def ingest_displacement(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a displacement CSV (admin1, month, idps) in Rivalscope's schema."""
        return self.ingest("displacement", path, encoding=encoding, on_step=on_step)

    def write_rows(
        self,
        target: Literal["events", "defections"],
        rows: pa.Table,
        *,
        source: str,
        file: str | None = None,
        for_review: bool = False,
        review_details: pa.Table | None = None,
    ) -> IngestResult:
        """Upsert canonical rows made by code (text coding, simulation) as one batch; see
        :func:`rivalscope.ingest.rows.write_rows`."""
        from rivalscope.ingest.rows import write_rows

        return write_rows(
            self,
            target,
            rows,
            source=source,
            file=file,
            for_review=for_review,
            review_details=review_details,
        )

    def unregistered_ids(self, names: Sequence[str], keys: Sequence[str]) -> list[str]:
        """Stable ids for actor names that may match no alias, unique per name key.

        The id is the name in upper snake case (``Hizb-i Wahdat`` -> ``HIZB_I_WAHDAT``); a
        clash with another actor's id gets a short hash of the key appended, so two different
        names are never merged.
        """
        known = self.query("SELECT actor_id, registered, name FROM actors")
        taken = {
            actor_id: (registered, actor_registry.alias_key(name))
            for actor_id, registered, name in zip(
                *(known.column(i).to_pylist() for i in range(3)), strict=True
            )
        }
        chosen: dict[str, str] = {}
        for key in sorted(set(keys)):
            slug = re.sub(r"[^A-Z0-9]+", "_", key.upper()).strip("_") or "ACTOR"
            owner = taken.get(slug)
            if owner is not None and (owner[0] or owner[1] != key):
                slug = f"{slug}_{hashlib.sha1(key.encode()).hexdigest()[:6].upper()}"
            taken.setdefault(slug, (False, key))
            chosen[key] = slug
        return [chosen[key] for key in keys]

    def load_actors(self, path: str | Path) -> dict[str, int]:
        """Extend the registry with a user TOML file and re-map stored events' actor names.

        Returns:
            ``{"actors": n, "aliases": n, "events_remapped": n}``.
        """
        self.require_writable()
        user = actor_registry.load_registry_file(path)
        registry = actor_registry.builtin_registry()
        current = self.query(
            "SELECT actor_id, name, kind, parent, country_iso3, description FROM actors "
            "WHERE registered AND NOT builtin"
        ).to_pylist()
        for row in current:
            registry.actors[row["actor_id"]] = actor_registry.Actor(*row.values())
        registry.merge(user)
        with self.transaction():
            self.execute(
                "DELETE FROM actors WHERE NOT registered AND actor_id = ANY(?)", [list(user.actors)]
            )
            self._insert_registry(user, builtin=False)
            remapped = self._remap_actors()
            if remapped:
                self._relink()
        return {
            "actors": len(user.actors),
            "aliases": len(user.aliases),
            "events_remapped": remapped,
        }

    def _relink(self, countries: Sequence[str | None] | None = None) -> None:
        """Relink events across sources after their actors or provinces changed."""
        from rivalscope.fusion import refresh

        refresh(self, countries)

    def _remap_actors(self) -> int:
        """Re-resolve actor1/actor2 of stored events and defections after the registry changed."""
        table = actor_registry.name_keys_table(self.query(REMAP_NAMES).column(0).to_pylist())
        changed = 0
        with self.staged_rows(table) as staged:
            for count_sql, update_sql in remap_statements(staged):
                changed += int(self.scalar(count_sql) or 0)
                self.execute(update_sql)
        return changed

    def _remap_places(self) -> int:
        """Re-resolve the province code of stored events by their province name after the
        gazetteer changed (a code placed by point-in-polygon stays when the name resolves to
        none)."""
        pairs = self.query(
            "SELECT DISTINCT country_iso3, admin1 FROM events WHERE admin1 IS NOT NULL"
        ).to_pylist()
        keys = gazetteer.place_keys_table([(p["country_iso3"], p["admin1"]) for p in pairs])
        mapping = f"rs_place_map_{_tag()}"
        with self.staged_rows(keys) as keyed:
            self.execute(f"CREATE TEMP TABLE {mapping} AS {gazetteer.place_codes_sql(keyed)}")
        changed = self.execute(
            f"""UPDATE events SET admin1_code = m.code FROM {mapping} m
            WHERE events.admin1 = m.admin1 AND events.country_iso3 IS NOT DISTINCT FROM m.iso3
              AND m.code IS NOT NULL AND events.admin1_code IS DISTINCT FROM m.code"""
        )
        self.execute(f"DROP TABLE {mapping}")
        return changed

    def load_boundaries(self, path: str | Path) -> dict[str, int]:
        """Load province polygons from GeoJSON and place events that lack a province.

        Returns:
            ``{"provinces": n, "events_placed": n}``.
        """
        self.require_writable()
        aliases = self.query("SELECT alias_key, code, country_iso3 FROM place_aliases")
        resolve = {
            (row["country_iso3"], row["alias_key"]): row["code"] for row in aliases.to_pylist()
        }
        boundaries = gazetteer.read_boundaries(path, resolve)
        with self.transaction():
            with self.staged_rows(gazetteer.boundaries_table(boundaries)) as staged:
                self.execute(
                    f"""UPDATE places SET geometry = b.geometry, latitude = b.latitude,
                       longitude = b.longitude FROM {staged} b WHERE places.code = b.code"""
                )
            placed = self._place_by_point()
        return {"provinces": len(boundaries), "events_placed": placed}

    def assign_provinces_by_point(self) -> int:
        """Give events with coordinates but no resolvable province one by point-in-polygon."""
        self.require_writable()
        with self.transaction():
            return self._place_by_point()

    def _place_by_point(self) -> int:
        polygons = self.query(
            "SELECT code, country_iso3, geometry FROM places WHERE geometry IS NOT NULL"
        ).to_pylist()
        if not polygons:
            return 0
        todo = self.query(
            """SELECT event_id, longitude, latitude, country_iso3 FROM events
               WHERE admin1_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
                 AND (country_iso3 IS NULL OR country_iso3 = ANY(?))""",
            [sorted({p["country_iso3"] for p in polygons})],
            schema=_POINTS,
        )
        if todo.num_rows == 0:
            return 0
        located = gazetteer.locate_points(
            [(p["code"], p["country_iso3"], bytes(p["geometry"])) for p in polygons], todo
        )
        with self.staged_rows(located) as staged:
            self.execute(
                f"UPDATE events SET admin1_code = p.code FROM {staged} p "
                "WHERE events.event_id = p.event_id"
            )
        if located.num_rows:
            self._relink(sorted({p["country_iso3"] for p in polygons}))
        return located.num_rows

    # --- reading --------------------------------------------------------------------------
    def compile(self, expr: ir.Expr) -> str:
        """The SQL of an Ibis expression in this store's dialect (literals quoted by Ibis)."""
        import ibis

        return str(ibis.to_sql(expr, dialect=self.backend))

    def table(self, name: str) -> ir.Table:
        """An Ibis table expression over one of the store's tables (``events``, ...)."""
        backend = self.ibis()
        if name not in self._table_names():
            raise NotFoundError(f"the store has no table {name!r}")
        return backend.table(name)

    def _table_names(self) -> list[str]:
        return list(self.ibis().list_tables())

    def has_boundaries(self) -> bool:
        """Whether any province polygon is loaded."""
        places = self.table("places")
        return bool(_count(places.filter(places.geometry.notnull())))

    def actor_id(self, name: str) -> str:
        """The canonical id for a name a user typed (an id or any alias, any case).

        Raises:
            NotFoundError: no actor has that id or alias, or the alias is ambiguous.
        """
        if not _printable(name):
            raise NotFoundError(f"no actor is called {name!r} (see `rivalscope actors`)")
        actors = self.table("actors")
        found = _column(
            actors.filter(actors.actor_id.upper() == name.strip().upper())
            .select("actor_id")
            .limit(1)
        )
        if found:
            return str(found[0])
        aliases = self.table("actor_aliases")
        anywhere = aliases.filter(
            aliases.alias_key == actor_name_key(name),
            aliases.country_iso3.isnull(),
            aliases.valid_from.isnull(),
            aliases.valid_to.isnull(),
        )
        unregistered = actors.filter(
            ~actors.registered, actors.name.lower() == name.strip().lower()
        )
        ids = sorted(
            set(_column(anywhere.select("actor_id").distinct()))
            | set(_column(unregistered.select("actor_id")))
        )
        if len(ids) == 1:
            return str(ids[0])
        if ids:
            raise NotFoundError(f"actor {name!r} is ambiguous: {', '.join(ids)}")
        raise NotFoundError(f"no actor is called {name!r} (see `rivalscope actors`)")

    def place_code(self, name: str, country_iso3: str | None = None) -> str:
        """The ISO 3166-2 code of a province given by code or by any spelling.

        Raises:
            NotFoundError: no province matches, or several do in different countries.
        """
        if not _printable(name):
            raise NotFoundError(f"no province is called {name!r}")
        text = name.strip()
        places = self.table("places")
        if _count(places.filter(places.code.upper() == text.upper())):
            return text.upper()
        aliases = self.table("place_aliases")
        matching = aliases.filter(aliases.alias_key == gazetteer.place_key(text))
        if country_iso3 is not None:
            matching = matching.filter(matching.country_iso3 == country_iso3)
        rows = _column(matching.select("code").distinct())
        if len(rows) == 1:
            return str(rows[0])
        if rows:
            options = ", ".join(sorted(rows))
            raise NotFoundError(f"province {name!r} is ambiguous ({options}); give the code")
        raise NotFoundError(f"no province is called {name!r} (see `rivalscope places`)")

    def counted(self, name: Literal["events", "defections"]) -> ir.Table:
        """The rows of ``events`` or ``defections`` that count in analyses.

        Rows written for review count only once accepted (:mod:`rivalscope.review`); every
        other row counts.
        """
        kind = "event" if name == "events" else "defection"
        key = REVIEW_KINDS[kind][1]
        t = self.table(name)
        reviews = self.table("reviews")
        held = reviews.filter((reviews.item_kind == kind) & (reviews.status != "accepted"))
        if not _count(held):
            return t
        return t.filter(~t[key].isin(held.item_id))

    def events(
        self,
        *,
        actor: str | None = None,
        rival: str | None = None,
        event_type: str | None = None,
        admin1: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        source: str | None = None,
        country: str | None = None,
    ) -> pa.Table:
        """Events matching every given filter, ordered by date, as an Arrow table.

        Args:
            actor: an actor id or alias; events where it is either side.
            rival: with ``actor``: only events between the two.
            event_type: one of :data:`rivalscope.schema.EVENT_TYPES`.
            admin1: a province code (``AF-NAN``) or spelling (``Nangarhar``).
            since: first date (inclusive), ``YYYY-MM-DD``.
            until: last date (inclusive), ``YYYY-MM-DD``.
            source: a source (``ucdp``, ``acled``, ``text``, ...) or ``fused``: one row per
                real-world event, with the ``sources`` and ``linked_ids`` that recorded it.
                Default: ``fused`` where two sources or more hold events.
            country: ISO3 code or country name.
        """
        return self.events_expr(
            actor=actor,
            rival=rival,
            event_type=event_type,
            admin1=admin1,
            since=since,
            until=until,
            source=source,
            country=country,
        ).to_pyarrow()

    def events_expr(
        self,
        *,
        actor: str | None = None,
        rival: str | None = None,
        event_type: str | None = None,
        admin1: str | None = None,
        since: dt.date | str | None = None,
        until: dt.date | str | None = None,
        source: str | None = None,
        country: str | None = None,
    ) -> ir.Table:
        """The Ibis expression behind :meth:`events` (for further composition)."""
        import rivalscope.fusion as fusion

        iso3 = None
        if country is not None:
            iso3 = gazetteer.country_iso3(country)
            if iso3 is None:
                raise NotFoundError(f"no country is called {country!r}")
        t = fusion.view(self, fusion.choose(self, source, iso3), iso3)
        if rival is not None and actor is None:
            raise InputError("a rival needs an actor: give both")
        if actor is not None:
            a = self.actor_id(actor)
            if rival is not None:
                r = self.actor_id(rival)
                t = t.filter(
                    ((t.actor1 == a) & (t.actor2 == r)) | ((t.actor1 == r) & (t.actor2 == a))
                )
            else:
                t = t.filter((t.actor1 == a) | (t.actor2 == a))
        if event_type is not None:
            if event_type not in EVENT_TYPES:
                raise InputError(
                    f"unknown event type {event_type!r}: use one of {', '.join(EVENT_TYPES)}"
                )
            t = t.filter(t.event_type == event_type)
        if iso3 is not None:
            t = t.filter(t.country_iso3 == iso3)
        if admin1 is not None:
            t = t.filter(t.admin1_code == self.place_code(admin1))
        if since is not None:
            t = t.filter(t.date_start >= _as_date(since, "since"))
        if until is not None:
            t = t.filter(t.date_start <= _as_date(until, "until"))
        return t.order_by(["date_start", "event_id"])

    def actors(self) -> pa.Table:
        """Every actor with its kind, aliases and event count (most events first)."""
        import ibis

        e = self.table("events")
        sides = ibis.union(
            e.select(actor=e.actor1),
            e.filter(e.actor2.notnull() & (e.actor1.isnull() | (e.actor2 != e.actor1))).select(
                actor=e.actor2
            ),
            distinct=False,
        )
        counts = sides.group_by("actor").aggregate(events=sides.count())
        a = self.table("actors")
        rows = (
            a.left_join(counts, a.actor_id == counts.actor)
            .select(
                "actor_id",
                "name",
                "kind",
                "parent",
                "registered",
                events=counts.events.fill_null(0).cast("int64"),
            )
            .order_by([ibis.desc("events"), "actor_id"])
            .to_pyarrow()
        )
        aliases = self.table("actor_aliases").select("actor_id", "alias").distinct().to_pyarrow()
        listed: dict[str, list[str]] = {}
        for actor_id, alias in zip(
            aliases.column("actor_id").to_pylist(), aliases.column("alias").to_pylist(), strict=True
        ):
            listed.setdefault(actor_id, []).append(alias)
        column = [sorted(listed.get(i, [])) for i in rows.column("actor_id").to_pylist()]
        return rows.add_column(5, "aliases", pa.array(column, pa.list_(pa.string())))

    def places(self, country: str | None = None) -> pa.Table:
        """Provinces with codes, names and event counts.

        Args:
            country: ISO3 or name; default: every country with events (Afghanistan if none).
        """
        e = self.table("events")
        if country is not None:
            iso3 = gazetteer.country_iso3(country)
            if iso3 is None:
                raise NotFoundError(f"no country is called {country!r}")
            countries = [iso3]
        else:
            countries = [
                c for c in _column(e.select("country_iso3").distinct()) if c is not None
            ] or ["AFG"]
        p = self.table("places")
        located = e.filter(e.admin1_code.notnull())
        counts = located.group_by(place=located.admin1_code).aggregate(events=located.count())
        return (
            p.filter((p.level == 1) & p.country_iso3.isin(countries))
            .left_join(counts, p.code == counts.place)
            .select(
                "code",
                "name",
                "country_iso3",
                "latitude",
                "longitude",
                has_boundary=p.geometry.notnull(),
                events=counts.events.fill_null(0).cast("int64"),
            )
            .order_by(["country_iso3", "code"])
            .to_pyarrow()
        )

    def quarantine(self, batch_id: str | None = None) -> pa.Table:
        """Quarantined rows (all, or one batch's) with their reasons."""
        q = self.table("quarantine")
        if batch_id is not None:
            q = q.filter(q.batch_id == batch_id)
        b = self.table("ingest_batches").select("batch_id", "source", "file", "started")
        return (
            q.left_join(b, q.batch_id == b.batch_id)
            .order_by([b.started, q.batch_id, q.row_number])
            .select(q.batch_id, b.source, b.file, q.row_number, q.reason, q.raw)
            .to_pyarrow()
        )

    def info(self) -> dict[str, Any]:
        """A summary of the store: sources, batches, counts, and what did not resolve."""
        import ibis

        def rows(expr: ir.Table) -> list[dict[str, Any]]:
            table = expr.to_pyarrow()
            names = table.column_names
            return [
                dict(zip(names, _plain(list(r.values())), strict=True)) for r in table.to_pylist()
            ]

        e, a = self.table("events"), self.table("actors")
        q, b = self.table("quarantine"), self.table("ingest_batches")
        colon = q.reason.find(":")
        reason = ibis.cases((colon >= 0, q.reason.substr(0, colon)), else_=q.reason)
        involved = a.left_join(e, (e.actor1 == a.actor_id) | (e.actor2 == a.actor_id))
        unmatched = e.filter(e.admin1_code.isnull() & e.admin1.notnull())
        places = self.table("places")
        return {
            "db": self.path,
            "events": _count(e),
            "defections": _count(self.table("defections")),
            "quarantined": _count(q),
            "sources": rows(
                e.group_by("source")
                .aggregate(
                    events=e.count(),
                    first_date=e.date_start.min(),
                    last_date=e.date_start.max(),
                    batches=e.batch_id.nunique(),
                )
                .order_by("source")
            ),
            "batches": rows(
                b.select(
                    "batch_id",
                    "source",
                    "file",
                    "started",
                    "rows_read",
                    "rows_stored",
                    "rows_quarantined",
                    "rows_unchanged",
                ).order_by("started")
            ),
            "events_per_year": rows(
                e.group_by(year=e.date_start.year().cast("int64"), source=e.source)
                .aggregate(events=e.count())
                .order_by(["year", "source"])
            ),
            "quarantine_reasons": rows(
                q.mutate(head=reason)
                .inner_join(b, "batch_id")
                .group_by(["source", "head"])
                .aggregate(rows=lambda t: t.count())
                .rename(reason="head")
                .order_by(ibis.desc("rows"))
                .limit(20)
            ),
            "unregistered_actors": rows(
                involved.filter(~involved.registered)
                .group_by(["actor_id", "name"])
                .aggregate(events=lambda t: t.event_id.count())
                .order_by([ibis.desc("events"), "actor_id"])
            ),
            "ambiguous_actors": rows(
                a.inner_join(e, (e.actor1 == a.actor_id) | (e.actor2 == a.actor_id))
                .filter(lambda t: t.kind == "ambiguous")
                .group_by(["actor_id", "name"])
                .aggregate(events=lambda t: t.event_id.count())
                .order_by(ibis.desc("events"))
            ),
            "unmatched_places": rows(
                unmatched.group_by(["country_iso3", "admin1"])
                .aggregate(events=unmatched.count())
                .order_by(ibis.desc("events"))
                .limit(50)
            ),
            "events_without_province": _count(e.filter(e.admin1_code.isnull())),
            "boundaries_loaded": _count(places.filter(places.geometry.notnull())),
        }


REMAP_NAMES = (
    "SELECT DISTINCT n FROM (SELECT actor1_raw n FROM events UNION ALL "
    "SELECT actor2_raw FROM events UNION ALL SELECT from_actor_raw FROM defections "
    "UNION ALL SELECT to_actor_raw FROM defections) AS names WHERE n IS NOT NULL"
)
"""Every raw actor name stored (the names :func:`remap_statements` re-resolves)."""

_RESOLVED = """(SELECT a.actor_id FROM {names} n JOIN actor_aliases a
              ON a.alias_key = n.key
             AND (a.country_iso3 IS NULL OR a.country_iso3 = {country})
             AND (a.valid_from IS NULL OR {date} >= a.valid_from)
             AND (a.valid_to IS NULL OR {date} < a.valid_to)
            WHERE n.raw = {raw}
            ORDER BY n.rank, a.country_iso3 NULLS LAST, a.valid_from DESC NULLS LAST, a.builtin
            LIMIT 1)"""

_POINTS = pa.schema(
    [
        ("event_id", pa.string()),
        ("longitude", pa.float64()),
        ("latitude", pa.float64()),
        ("country_iso3", pa.string()),
    ]
)


def remap_statements(names: str) -> list[tuple[str, str]]:
    """``(count, update)`` SQL that re-resolves each actor column from ``names`` (``raw``,
    ``key``, ``rank``), a table of the stored raw names with their alias keys, the most
    specific (rank 0) first."""
    statements = []
    for table, date, pairs in (
        ("events", "date_start", (("actor1", "actor1_raw"), ("actor2", "actor2_raw"))),
        ("defections", "date", (("from_actor", "from_actor_raw"), ("to_actor", "to_actor_raw"))),
    ):
        for column, raw in pairs:
            expr = _RESOLVED.format(
                names=names,
                country=f"{table}.country_iso3",
                date=f"{table}.{date}",
                raw=f"{table}.{raw}",
            )
            where = f"WHERE {expr} IS NOT NULL AND {expr} IS DISTINCT FROM {column}"
            statements.append(
                (
                    f"SELECT count(*) FROM {table} {where}",
                    f"UPDATE {table} SET {column} = {expr} {where}",
                )
            )
    return statements


def bind_markers(
    sql: str, marker: Callable[[int], str], *, quotes: str = "'\"", percent: str = "%"
) -> str:
    """``sql`` with each ``?`` parameter written as a driver wants it (``marker(n)`` for the
    n-th) and each ``%`` as ``percent``. Only a ``?`` outside quoted strings and identifiers
    (``quotes``) is a parameter, so SQL that Ibis compiled with literal values (which may hold
    ``?``) keeps them as written."""
    out: list[str] = []
    quote: str | None = None
    number = 0
    for char in sql:
        if char == "%":
            out.append(percent)
            continue
        if quote is not None:
            quote = None if char == quote else quote
        elif char in quotes:
            quote = char
        elif char == "?":
            out.append(marker(number))
            number += 1
            continue
        out.append(char)
    return "".join(out)


def _tag() -> str:
    import uuid

    return uuid.uuid4().hex[:12]


def _as_date(value: dt.date | str, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{value!r} is not a YYYY-MM-DD date", parameter=name) from exc


def _count(expr: ir.Table) -> int:
    return int(expr.count().to_pyarrow().as_py())


def _column(expr: ir.Table) -> list[Any]:
    return expr.to_pyarrow().column(0).to_pylist()


def _printable(name: str) -> bool:
    """Whether a name a user typed has no control characters (no name in the store has)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in name)


def _plain(values: Sequence[Any]) -> list[Any]:
    return [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values]
