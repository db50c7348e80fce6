"""FinOps budget and settlement imports, and savings made outside rengo (measure 2's KGI and
cloud optimisation KPI, measure 1's security cost per resident)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Query, Request, UploadFile
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from rengo.core.types import TenantCode
from rengo.finops import budget_import, optimisation
from rengo.finops.optimisation import SavingKind
from rengo.web.deps import RuntimeDep, SessionDep, UserDep, client_address

router = APIRouter(prefix="/api/v1/finops", tags=["finops"])


class BudgetImportOut(BaseModel):
    import_id: int
    rows: int = Field(description="Lines stored")
    replaced: int = Field(description="Lines of earlier imports of the same scopes replaced")
    scopes: list[tuple[str, int, str]] = Field(
        description="(ward, fiscal year, stage) the file held; each replaces its earlier lines"
    )


class BudgetLineOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    import_id: int
    line: int = Field(description="Its line in the imported file")
    ward: TenantCode
    fiscal_year: int
    stage: str = Field(description="budget | settlement")
    scope: str = Field(description="current | standard | security")
    business_system: str = Field(description="Standard business system; empty: common")
    category: str = Field(
        description="licence | maintenance | operation | network | vendor | cloud | other"
    )
    amount: float
    note: str


class SavingIn(BaseModel):
    ward: TenantCode
    kind: SavingKind
    realised_on: date
    annual_saving: float = Field(description="Yen a year the bill does not show")
    evidence: str = Field(description="Contract or order number, document reference")
    description: str = ""


class SavingOut(SavingIn):
    model_config = ConfigDict(from_attributes=True)

    id: int
    recorded_by: str


@router.post(
    "/budget/import",
    response_model=BudgetImportOut,
    summary="Import a budget/settlement file (CSV or Excel; all lines or none)",
)
async def import_budget(
    request: Request, principal: UserDep, runtime: RuntimeDep, file: UploadFile
) -> BudgetImportOut:
    data = await file.read()
    filename = file.filename or "budget.csv"

    def work() -> budget_import.BudgetImportResult:
        with runtime.db.session() as session:
            return budget_import.import_budget(
                session, principal, data, filename=filename, client=client_address(request)
            )

    result = await run_in_threadpool(work)  # committed before we answer
    return BudgetImportOut(
        import_id=result.import_id, rows=result.rows, replaced=result.replaced, scopes=result.scopes
    )


@router.get(
    "/budget/lines",
    response_model=list[BudgetLineOut],
    summary="Imported budget/settlement lines (a ward its own; the joint centre all)",
)
def list_budget_lines(
    principal: UserDep, session: SessionDep, fiscal_year: int | None = Query(None)
) -> list[BudgetLineOut]:
    return [
        BudgetLineOut.model_validate(x)
        for x in budget_import.budget_lines(session, principal, fiscal_year)
    ]


@router.post(
    "/savings",
    response_model=SavingOut,
    status_code=201,
    summary="Record a saving made outside rengo, with its evidence",
)
def record_saving(
    body: SavingIn, request: Request, principal: UserDep, session: SessionDep
) -> SavingOut:
    row = optimisation.record_saving(
        session,
        principal,
        ward=body.ward,
        kind=body.kind,
        realised_on=body.realised_on,
        annual_saving=body.annual_saving,
        evidence=body.evidence,
        description=body.description,
        client=client_address(request),
    )
    return SavingOut.model_validate(row)


@router.get(
    "/savings",
    response_model=list[SavingOut],
    summary="Savings recorded outside rengo (a ward its own; the joint centre all)",
)
def list_savings(principal: UserDep, session: SessionDep) -> list[SavingOut]:
    return [SavingOut.model_validate(x) for x in optimisation.external_savings(session, principal)]
