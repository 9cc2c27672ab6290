<#
    Redaction for everything the module writes to a stream. The native library never puts a
    token or an Authorization value in an event or envelope (ffi/CONTRACT.md); these helpers
    are the second line of defence: the caller's own secrets are scrubbed from every message,
    and query parameters that carry credentials in URLs (SAS signatures, tokens) are masked.
#>

function Protect-BastionText {
    <# Replaces every occurrence of each secret in Text with [redacted]. #>
    param([AllowNull()] [AllowEmptyString()] [string] $Text, [string[]] $Secret = @())
    if ([string]::IsNullOrEmpty($Text)) { return $Text }
    foreach ($s in $Secret) {
        if (-not [string]::IsNullOrEmpty($s) -and $s.Length -ge 4) {
            $Text = $Text.Replace($s, '[redacted]')
        }
    }
    # A bearer token that reached a message some other way.
    [regex]::Replace($Text, '(?i)(bearer\s+)[A-Za-z0-9\-\._~\+/]{16,}=*', '$1[redacted]')
}

function Protect-BastionUrl {
    <# Masks query parameters that can carry credentials (sig, token, access_token, code, secret ...). #>
    param([AllowNull()] [AllowEmptyString()] [string] $Url)
    if ([string]::IsNullOrEmpty($Url)) { return $Url }
    [regex]::Replace($Url, '(?i)([?&](?:sig|signature|token|access_token|code|secret|client_secret|password)=)[^&#]*', '$1[redacted]')
}
