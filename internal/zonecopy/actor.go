package zonecopy

import "context"

type actorKey struct{}

// WithActor returns ctx carrying a, the API caller a change is made for. The API sets it once
// the caller is authenticated; the code that records the change in the copy reads it with
// ActorFrom, so the actor travels with the request and no layer in between has to pass it.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the actor WithActor put in ctx; ok is false for a change made outside the
// API (the zero Actor, "external").
func ActorFrom(ctx context.Context) (a Actor, ok bool) {
	a, ok = ctx.Value(actorKey{}).(Actor)
	return a, ok
}
