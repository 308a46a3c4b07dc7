"""`gyml serve`: upload a video or pose file and get it analysed by worker processes, with the history kept
in a database; and live coaching from the browser's camera over a WebSocket."""
