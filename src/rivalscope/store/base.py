"""The store: a DuckDB database (file or memory) holding the canonical tables.

Open one with :func:`rivalscope.open`. The store migrates its schema, seeds the actor registry
and the gazetteer, ingests sources in one transaction per batch, and hands out Ibis tables for
analysis. DuckDB allows one writer per file: route writes through one :class:`Store`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import duckdb
import pyarrow as pa

from rivalscope import actors as actor_registry
from rivalscope import places as gazetteer
from rivalscope.errors import InputError, NotFoundError, StoreError
from rivalscope.ingest import Ingest, IngestResult, SourceSpec, Step, ingest_file
from rivalscope.schema import EVENT_TYPES, MIGRATIONS, REVIEW_KINDS

if TYPE_CHECKING:
    import ibis.expr.types as ir

DEFAULT_DB = "rivalscope.duckdb"
_SEED_VERSION = "1"


def default_db() -> str:
    """The store used when none is named: ``$RIVALSCOPE_DB`` or ``rivalscope.duckdb``."""
    return os.environ.get("RIVALSCOPE_DB") or DEFAULT_DB


def seed_fingerprint(registry: actor_registry.Registry) -> str:
    """The fingerprint of the built-in registry and gazetteer a store was seeded with."""
    return hashlib.sha256(
        repr((_SEED_VERSION, sorted(registry.actors.items()), registry.aliases)).encode()
    ).hexdigest()


class Store:
    """An open Rivalscope store.

    Args:
        db: a DuckDB file path, or ``None`` / ``":memory:"`` for an in-memory store. A
            ``postgresql://`` URL or a ``spark:`` master (see :mod:`rivalscope.backends.urls`)
            opens a :class:`~rivalscope.backends.postgres.PostgresStore` or a
            :class:`~rivalscope.backends.spark.SparkStore` instead.
        read_only: open an existing file without writing (many readers may share it).
    """

    def __new__(cls, db: str | Path | None = None, **options: Any) -> Store:
        from rivalscope.backends import urls

        if cls is Store and urls.is_url(db):
            kind = urls.parse(db).kind
            if kind == "postgres":
                from rivalscope.backends.postgres import PostgresStore

                return super().__new__(PostgresStore)
            from rivalscope.backends.spark import SparkStore

            return super().__new__(SparkStore)
        return super().__new__(cls)

    def __init__(self, db: str | Path | None = None, *, read_only: bool = False) -> None:
        target = ":memory:" if db is None else str(db)
        self.path = target
        self.read_only = read_only
        try:
            self.con = duckdb.connect(target, read_only=read_only)
        except duckdb.Error as exc:
            message = str(exc).strip().splitlines()[0]
            raise StoreError(f"cannot open store {target}: {message}") from exc
        self.con.execute("SET enable_progress_bar = false")
        self._ibis: Any = None
        if not read_only:
            self._migrate()
            self._seed()

    # --- lifecycle ----------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection."""
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    @property
    def staging(self) -> duckdb.DuckDBPyConnection:
        """The DuckDB connection an ingest stages and checks a file in (here: the store's own)."""
        return self.con

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block as one transaction: all of it is committed, or none of it."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def execute(self, statement: str, params: Sequence[Any] = ()) -> int:
        """Run one statement (not a query) with ``?`` parameters on the store's database.

        Returns:
            The number of rows an INSERT, UPDATE, DELETE or CREATE TABLE ... AS touched.
        """
        row = self.con.execute(statement, list(params)).fetchone()
        return int(row[0]) if row else 0

    def stage_table(self, name: str, query: str) -> None:
        """Make the rows of ``query``, run on :attr:`staging`, the temporary table ``name`` of
        the store's own database (drop it with :meth:`execute` ``DROP TABLE``)."""
        self.con.execute(f"CREATE TEMP TABLE {name} AS {query}")

    def stage_rows(self, name: str, rows: pa.Table) -> None:
        """Make ``rows`` the temporary table ``name`` of the store's own database, as
        :meth:`stage_table` does (drop it with :meth:`execute` ``DROP TABLE``)."""
        view = f"{name}_arrow"
        self.staging.register(view, rows)
        try:
            self.stage_table(name, f"SELECT * FROM {view}")
        finally:
            self.staging.unregister(view)

    def _scalar(self, query: str, params: Sequence[Any] = ()) -> Any:
        row = self.con.execute(query, list(params)).fetchone()
        return row[0] if row else None

    def _migrate(self) -> None:
        self.con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER)")
        applied = self._scalar("SELECT max(version) FROM schema_version") or 0
        for version, statements in enumerate(MIGRATIONS, start=1):
            if version <= applied:
                continue
            with self.transaction():
                for statement in statements:
                    self.con.execute(statement)
                self.con.execute("INSERT INTO schema_version VALUES (?)", [version])

    def _seed(self) -> None:
        registry = actor_registry.builtin_registry()
        fingerprint = seed_fingerprint(registry)
        if self._scalar("SELECT value FROM meta WHERE key = 'seed'") == fingerprint:
            return
        with self.transaction():
            self.con.execute("DELETE FROM actors WHERE builtin")
            self.con.execute("DELETE FROM actor_aliases WHERE builtin")
            self._insert_registry(registry, builtin=True)
            self.con.execute("DELETE FROM place_aliases")
            self.con.register("rs_seed_aliases", gazetteer.place_aliases_table())
            self.con.execute("INSERT INTO place_aliases SELECT * FROM rs_seed_aliases")
            self.con.unregister("rs_seed_aliases")
            self.con.register("rs_seed_places", gazetteer.places_table())
            self.con.execute(
                """INSERT INTO places (code, name, level, parent, country_iso3, latitude,
                   longitude) SELECT * FROM rs_seed_places s
                   WHERE NOT EXISTS (SELECT 1 FROM places p WHERE p.code = s.code)"""
            )
            self.con.unregister("rs_seed_places")
            self.con.execute("INSERT OR REPLACE INTO meta VALUES ('seed', ?)", [fingerprint])

    def _insert_registry(self, registry: actor_registry.Registry, *, builtin: bool) -> None:
        actors_rows = registry.actors_table()
        self.con.register("rs_reg_actors", actors_rows)
        self.con.execute(
            "DELETE FROM actors WHERE actor_id IN (SELECT actor_id FROM rs_reg_actors)"
        )
        self.con.execute(
            """INSERT INTO actors (actor_id, name, kind, parent, country_iso3, registered,
               builtin, description)
               SELECT actor_id, name, kind, parent, country_iso3, true, ?, description
               FROM rs_reg_actors""",
            [builtin],
        )
        self.con.unregister("rs_reg_actors")
        aliases = registry.aliases_table()
        keys = [actor_registry.alias_key(a) for a in aliases.column("alias").to_pylist()]
        self.con.register("rs_reg_aliases", aliases.append_column("alias_key", pa.array(keys)))
        self.con.execute(
            """INSERT INTO actor_aliases (alias, alias_key, actor_id, country_iso3, valid_from,
               valid_to, kind, source, builtin)
               SELECT alias, alias_key, actor_id, country_iso3, valid_from, valid_to, kind,
                      source, ? FROM rs_reg_aliases""",
            [builtin],
        )
        self.con.unregister("rs_reg_aliases")

    # --- ingest -------------------------------------------------------------------------------
    def _writable(self) -> None:
        if self.read_only:
            raise StoreError(f"store {self.path} is open read-only")

    def ingest_ucdp(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a UCDP GED (or GED Candidate) CSV as UCDP publishes it (also .gz or .zip)."""
        from rivalscope.sources import ucdp

        return self._ingest(ucdp.SPEC, path, encoding, on_step)

    def ingest_acled(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest an ACLED export CSV as ACLED publishes it (also .gz or .zip)."""
        from rivalscope.sources import acled

        return self._ingest(acled.SPEC, path, encoding, on_step)

    def ingest_defections(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a defections CSV in Rivalscope's schema (see docs/data-sources.md)."""
        from rivalscope.sources import defections

        return self._ingest(defections.SPEC, path, encoding, on_step)

    def ingest_displacement(
        self, path: str | Path, *, encoding: str = "utf-8", on_step: Step | None = None
    ) -> IngestResult:
        """Ingest a displacement CSV (admin1, month, idps) in Rivalscope's schema."""
        from rivalscope.sources import displacement

        return self._ingest(displacement.SPEC, path, encoding, on_step)

    def ingest(
        self,
        source: str,
        path: str | Path,
        *,
        encoding: str = "utf-8",
        on_step: Step | None = None,
    ) -> IngestResult:
        """Ingest ``path`` with the named source (ucdp, acled, defections, displacement)."""
        methods = {
            "ucdp": self.ingest_ucdp,
            "acled": self.ingest_acled,
            "defections": self.ingest_defections,
            "displacement": self.ingest_displacement,
        }
        if source not in methods:
            raise InputError(f"unknown source {source!r}: use one of {', '.join(methods)}")
        return methods[source](path, encoding=encoding, on_step=on_step)

    def _ingest(
        self, spec: SourceSpec, path: str | Path, encoding: str, on_step: Step | None
    ) -> IngestResult:
        """Ingest one file, then place its events by point-in-polygon when boundaries exist."""
        self._writable()
        result = ingest_file(self, spec, path, encoding=encoding, on_step=on_step)
        if spec.target == "events" and self.has_boundaries():
            self.assign_provinces_by_point()
        return result

    def write_batch(self, job: Ingest, sha256: str, started: dt.datetime) -> IngestResult:
        """Write a staged ingest batch (see :mod:`rivalscope.ingest`) in one transaction."""
        with self.transaction():
            return job.write(sha256, started)

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
        """Upsert canonical rows made by code (text coding, simulation) as one batch.

        Args:
            target: ``events`` or ``defections``.
            rows: some of the target's columns (:data:`rivalscope.schema.EVENT_COLUMNS` or
                ``DEFECTION_COLUMNS``), the id column required; actors as registry ids.
                ``source`` and ``batch_id`` are set here; absent columns are NULL.
            source: the source name stored with events (``text``, ``sim``) and the batch.
            file: where the rows came from, for the batch record.
            for_review: the rows count in analyses only once accepted
                (:mod:`rivalscope.review`); a changed row goes back to pending.
            review_details: per row (``item_id`` = the id) ``confidence``, ``passage`` and
                ``evidence`` (JSON text) for the reviewer.

        Raises:
            InputError: naming the row (0-based) and column of the first bad value; nothing
                is written then.
        """
        from rivalscope.rows import write_rows

        self._writable()
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
        taken = {
            actor_id: (registered, actor_registry.alias_key(name))
            for actor_id, registered, name in self.con.execute(
                "SELECT actor_id, registered, name FROM actors"
            ).fetchall()
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

    def register_unregistered(self, lookup_table: str) -> None:
        """Record actors that only an ingest named, so ``info`` can list them."""
        self.con.execute(
            f"""INSERT INTO actors (actor_id, name, kind, parent, country_iso3, registered,
                builtin, description)
            SELECT actor_id, min(raw), 'unregistered', NULL, NULL, false, false, NULL
            FROM {lookup_table} l WHERE unregistered
              AND NOT EXISTS (SELECT 1 FROM actors a WHERE a.actor_id = l.actor_id)
            GROUP BY actor_id"""
        )

    # --- registry and gazetteer ---------------------------------------------------------------
    def load_actors(self, path: str | Path) -> dict[str, int]:
        """Extend the registry with a user TOML file and re-map stored events' actor names.

        Returns:
            ``{"actors": n, "aliases": n, "events_remapped": n}``.
        """
        self._writable()
        registry = actor_registry.builtin_registry()
        current = self.con.execute(
            "SELECT actor_id, name, kind, parent, country_iso3, description FROM actors "
            "WHERE registered AND NOT builtin"
        ).fetchall()
        for row in current:
            registry.actors[row[0]] = actor_registry.Actor(*row)
        user = actor_registry.load_registry_file(path)
        registry.merge(user)
        with self.transaction():
            self.con.execute(
                "DELETE FROM actors WHERE NOT registered AND actor_id IN (SELECT unnest(?))",
                [list(user.actors)],
            )
            self._insert_registry(user, builtin=False)
            remapped = self._remap_actors()
        return {
            "actors": len(user.actors),
            "aliases": len(user.aliases),
            "events_remapped": remapped,
        }

    def _remap_actors(self) -> int:
        """Re-resolve actor1/actor2 of stored events and defections after the registry changed."""
        from rivalscope.ingest import actor_name_key

        names = [r[0] for r in self.con.execute(REMAP_NAMES).fetchall()]
        keys = [actor_name_key(n) for n in names]
        self.con.register(
            "rs_remap_names",
            pa.table({"raw": pa.array(names, pa.string()), "key": pa.array(keys, pa.string())}),
        )
        changed = 0
        for table, count_sql, update_sql in remap_statements():
            before = self._scalar(f"SELECT count(*) FROM {table}")
            if not before:
                continue
            count = self._scalar(count_sql)
            self.con.execute(update_sql)
            changed += count
        self.con.unregister("rs_remap_names")
        return changed

    def actor_id(self, name: str) -> str:
        """The canonical id for a name a user typed (an id or any alias, any case).

        Raises:
            NotFoundError: no actor has that id or alias, or the alias is ambiguous.
        """
        from rivalscope.ingest import actor_name_key

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

    def has_boundaries(self) -> bool:
        """Whether any province polygon is loaded."""
        places = self.table("places")
        return bool(_count(places.filter(places.geometry.notnull())))

    def load_boundaries(self, path: str | Path) -> dict[str, int]:
        """Load province polygons from GeoJSON and place events that lack a province.

        Returns:
            ``{"provinces": n, "events_placed": n}``.
        """
        self._writable()
        resolve = {
            (iso3, key): code
            for key, code, iso3 in self.con.execute(
                "SELECT alias_key, code, country_iso3 FROM place_aliases"
            ).fetchall()
        }
        boundaries = gazetteer.read_boundaries(path, resolve)
        with self.transaction():
            self.con.register("rs_bounds", gazetteer.boundaries_table(boundaries))
            self.con.execute(
                """UPDATE places SET geometry = b.geometry, latitude = b.latitude,
                   longitude = b.longitude FROM rs_bounds b WHERE places.code = b.code"""
            )
            self.con.unregister("rs_bounds")
            placed = self.assign_provinces_by_point(in_transaction=True)
        return {"provinces": len(boundaries), "events_placed": placed}

    def assign_provinces_by_point(self, *, in_transaction: bool = False) -> int:
        """Give events with coordinates but no resolvable province one by point-in-polygon."""
        polygons = self.con.execute(
            "SELECT code, country_iso3, geometry FROM places WHERE geometry IS NOT NULL"
        ).fetchall()
        if not polygons:
            return 0
        countries = sorted({p[1] for p in polygons})
        todo = self.con.execute(
            """SELECT event_id, longitude, latitude FROM events
               WHERE admin1_code IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
                 AND (country_iso3 IS NULL OR country_iso3 IN (SELECT unnest(?)))""",
            [countries],
        ).to_arrow_table()
        if todo.num_rows == 0:
            return 0
        located = locate_points(polygons, todo)
        ids = located.column("event_id")
        self.con.register("rs_pip", located)

        def apply() -> None:
            self.con.execute(
                "UPDATE events SET admin1_code = p.code FROM rs_pip p "
                "WHERE events.event_id = p.event_id"
            )

        if in_transaction:
            apply()
        else:
            with self.transaction():
                apply()
        self.con.unregister("rs_pip")
        return len(ids)

    # --- reading ------------------------------------------------------------------------------
    def ibis(self) -> Any:
        """The Ibis backend over this store's connection."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    def table(self, name: str) -> ir.Table:
        """An Ibis table expression over one of the store's tables (``events``, ...)."""
        backend = self.ibis()
        if name not in backend.list_tables():
            raise NotFoundError(f"the store has no table {name!r}")
        return backend.table(name)

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
            source: ``ucdp``, ``acled``, ...
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
        t = self.counted("events")
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
        if country is not None:
            iso3 = gazetteer.country_iso3(country)
            if iso3 is None:
                raise NotFoundError(f"no country is called {country!r}")
            t = t.filter(t.country_iso3 == iso3)
        if admin1 is not None:
            t = t.filter(t.admin1_code == self.place_code(admin1))
        if since is not None:
            t = t.filter(t.date_start >= _as_date(since, "since"))
        if until is not None:
            t = t.filter(t.date_start <= _as_date(until, "until"))
        if source is not None:
            t = t.filter(t.source == source)
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

_RESOLVED = """(SELECT a.actor_id FROM rs_remap_names n JOIN actor_aliases a
              ON a.alias_key = n.key
             AND (a.country_iso3 IS NULL OR a.country_iso3 = {country})
             AND (a.valid_from IS NULL OR {date} >= a.valid_from)
             AND (a.valid_to IS NULL OR {date} < a.valid_to)
            WHERE n.raw = {raw}
            ORDER BY a.country_iso3 NULLS LAST, a.valid_from DESC NULLS LAST, a.builtin
            LIMIT 1)"""


def remap_statements() -> list[tuple[str, str, str]]:
    """``(table, count, update)`` SQL that re-resolves each actor column from ``rs_remap_names``
    (``raw``, ``key``), a table of the stored raw names with their alias keys."""
    statements = []
    for table, date, pairs in (
        ("events", "date_start", (("actor1", "actor1_raw"), ("actor2", "actor2_raw"))),
        ("defections", "date", (("from_actor", "from_actor_raw"), ("to_actor", "to_actor_raw"))),
    ):
        for column, raw in pairs:
            expr = _RESOLVED.format(
                country=f"{table}.country_iso3", date=f"{table}.{date}", raw=f"{table}.{raw}"
            )
            where = f"WHERE {expr} IS NOT NULL AND {expr} IS DISTINCT FROM {column}"
            statements.append(
                (
                    table,
                    f"SELECT count(*) FROM {table} {where}",
                    f"UPDATE {table} SET {column} = {expr} {where}",
                )
            )
    return statements


def locate_points(polygons: Sequence[Sequence[Any]], todo: pa.Table) -> pa.Table:
    """``event_id`` and province ``code`` of each point (``todo``: event_id, longitude,
    latitude) inside one of ``polygons`` (code, country, WKB); the first polygon wins."""
    import numpy as np
    import shapely

    shapes = shapely.from_wkb([p[2] for p in polygons])
    tree = shapely.STRtree(shapes)
    points = shapely.points(todo.column("longitude").to_numpy(), todo.column("latitude").to_numpy())
    point_index, shape_index = tree.query(points, predicate="intersects")
    first = np.unique(point_index, return_index=True)[1]
    ids = todo.column("event_id").take(pa.array(point_index[first]))
    codes = pa.array([polygons[i][0] for i in shape_index[first]], pa.string())
    return pa.table({"event_id": ids, "code": codes})


def _as_date(value: dt.date | str, name: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"--{name}: {value!r} is not a YYYY-MM-DD date") from exc


def _count(expr: ir.Table) -> int:
    return int(expr.count().to_pyarrow().as_py())


def _column(expr: ir.Table) -> list[Any]:
    return expr.to_pyarrow().column(0).to_pylist()


def _printable(name: str) -> bool:
    """Whether a name a user typed has no control characters (no name in the store has)."""
    return not any(ord(c) < 32 or ord(c) == 127 for c in name)


def _plain(values: Sequence[Any]) -> list[Any]:
    return [v.isoformat() if isinstance(v, dt.date | dt.datetime) else v for v in values]


def open(
    db: str | Path | None = None,
    *,
    read_only: bool = False,
    spark_conf: dict[str, str] | None = None,
) -> Store:
    """Open (creating if needed) a store: a DuckDB file path, or in memory when ``db`` is None.

    ``db`` may also be a ``postgresql://`` URL (a shared store on a server) or a ``spark:``
    master with the Parquet export to read (``spark:local[2]?data=DIR``); ``spark_conf`` adds
    Spark settings (``{"spark.executor.memory": "8g"}``).

    >>> import rivalscope as rs
    >>> store = rs.open()  # in memory
    """
    if spark_conf:
        from rivalscope.backends.spark import SparkStore

        return SparkStore(db, read_only=read_only, spark_conf=spark_conf)
    return Store(db, read_only=read_only)
