/** Pod annotation naming the Fly region to place the Machine in (contract). */
export const REGION_ANNOTATION = "fly.io/region";
