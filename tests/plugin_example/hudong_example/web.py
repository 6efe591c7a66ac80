"""A web page: the plugin's analysis as JSON, at /plugins/example/longest (signed-in readers)."""

from fastapi import APIRouter, Request

from hudong import analyses
from hudong.web.state import state_of

router = APIRouter()


@router.get("/longest")
def longest(request: Request) -> dict:
    with state_of(request).db() as ws:
        df = analyses.run(ws, "longest_posts").frame("posts")
    return {"posts": df.to_dict(orient="records")}
